package netfilter

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// FirewalldTable is the table firewalld writes its zones into; its panic
// mode adds firewalldPanicTable.
const (
	FirewalldTable      = "firewalld"
	firewalldPanicTable = "firewalld_policy_drop"
)

// FirewalldOwned reports whether the rule is in firewalld's own zone table
// (judged by the firewalld check from firewalld's configuration).
func (r RuleRef) FirewalldOwned() bool {
	return r.Origin == "nftables" && r.Family == "inet" && r.Table == FirewalldTable
}

// Panic reports whether the rule is firewalld's panic mode.
func (r RuleRef) Panic() bool {
	return r.Origin == "nftables" && r.Family == "inet" && r.Table == firewalldPanicTable
}

var setRef = regexp.MustCompile(`@([A-Za-z0-9_.-]+)`)

// Fix is the command that stops this rule refusing src on port, for an
// operator: remove the rule (or the address from the set it matches), or
// for a drop policy, accept the port before it. Rules loaded from a file
// (/etc/nftables.conf, iptables-persistent) come back at boot unless the
// file is changed too: the text says so.
func (r RuleRef) Fix(src netip.Addr, port uint16) string {
	lasting := " (and in the file that loads it at boot, e.g. /etc/nftables.conf)"
	switch {
	case r.Panic():
		return "firewall-cmd --panic-off"
	case r.Origin == "iptables-nft" || r.Origin == "iptables-legacy":
		tool := map[string]string{"ip": "iptables", "ip6": "ip6tables"}[r.Family]
		if r.Origin == "iptables-legacy" {
			tool += "-legacy"
		}
		if r.Policy {
			return fmt.Sprintf("%s -t %s -I %s -p tcp --dport %d -j ACCEPT (the chain's policy is DROP)", tool, r.Table, r.Chain, port)
		}
		spec := strings.TrimPrefix(r.Text, "-A ")
		return fmt.Sprintf("%s -t %s -D %s, and in iptables' saved rules; if it is a firewalld direct rule, firewall-cmd --direct --get-all-rules shows it and firewall-cmd --direct --remove-rule with that line removes it (also with --permanent)", tool, r.Table, spec)
	case r.Policy:
		return fmt.Sprintf("nft insert rule %s %s %s tcp dport %d accept%s", r.Family, r.Table, r.Chain, port, lasting)
	}
	if m := setRef.FindStringSubmatch(r.Text); m != nil && src.IsValid() {
		return fmt.Sprintf("nft delete element %s %s %s { %s }", r.Family, r.Table, m[1], src)
	}
	return fmt.Sprintf("nft delete rule %s %s %s handle %d%s", r.Family, r.Table, r.Chain, r.Handle, lasting)
}
