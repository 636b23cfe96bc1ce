package netfilter

import (
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// Every case: load rules into the host namespace, read them back as the
// checks do, and compare the judge's verdict with a real client's for
// both client addresses of both families on every listening port.
var kernelCases = []struct {
	name  string
	nft   string     // nft -f ruleset, loaded first
	cmds  [][]string // then these commands (iptables…)
	check func(t *testing.T, rs *Ruleset)
}{
	{name: "empty ruleset"},
	{name: "another table with policy drop beside an accepting one", nft: `
table inet firewalld { chain filter_INPUT { type filter hook input priority filter + 10; policy accept; tcp dport { 143, 993 } accept; reject with icmpx type admin-prohibited; }; }
table inet filter { chain input { type filter hook input priority filter; policy drop; ct state established,related accept; iifname "lo" accept; tcp dport 2222 accept; }; }`,
		check: refusedBy("filter", "input", true)},
	{name: "fail2ban nftables ban set for one source", nft: `
table inet f2b-table {
	set addr-set-dovecot { type ipv4_addr; elements = { 10.203.0.66 } }
	set addr6-set-dovecot { type ipv6_addr; elements = { fd00:203::66 } }
	chain f2b-chain { type filter hook input priority filter - 1; policy accept;
		tcp dport { 143, 993 } ip saddr @addr-set-dovecot reject with icmp port-unreachable
		tcp dport { 143, 993 } ip6 saddr @addr6-set-dovecot reject; }; }`},
	{name: "prerouting raw drop", nft: `
table ip raw { chain pre { type filter hook prerouting priority raw; ip saddr 10.203.0.66 tcp dport 993 drop; }; }`},
	{name: "jumps, gotos, returns, vmaps and intervals", nft: `
table inet t {
	set ports { type inet_service; flags interval; elements = { 100-150, 990-995 } }
	set nets { type ipv4_addr; flags interval; elements = { 10.203.0.64/30 } }
	chain in { type filter hook input priority 5; policy drop;
		ct state vmap { established : accept, related : accept, invalid : drop }
		meta l4proto tcp jump tcp_in
		ip6 saddr fd00:203::2 goto six
		counter; }
	chain tcp_in { ip saddr @nets tcp dport 993 return; tcp dport @ports accept; tcp dport 2222 limit rate 100/second accept; }
	chain six { tcp dport != 993 accept; }
}`},
	{name: "fib daddr type local and iifname", nft: `
table inet t { chain in { type filter hook input priority 0; policy drop;
	fib daddr type local iifname "mail*" tcp dport { 143, 2222 } accept
	iifname != "mail0" drop; meta nfproto ipv6 tcp dport 993 accept; }; }`},
	{name: "redirect in prerouting nat, then a drop on the new port", nft: `
table ip nat { chain pre { type nat hook prerouting priority dstnat; tcp dport 2222 redirect to :143; }; }
table inet f { chain in { type filter hook input priority 0; ip saddr 10.203.0.66 tcp dport 143 drop; }; }`},
	{name: "iptables-nft REJECT", cmds: [][]string{{"iptables-nft", "-I", "INPUT", "-p", "tcp", "--dport", "993", "-j", "REJECT"},
		{"ip6tables-nft", "-A", "INPUT", "-s", "fd00:203::66", "-p", "tcp", "-m", "multiport", "--dports", "143,2000:3000", "-j", "DROP"}}},
	{name: "legacy iptables DROP", cmds: [][]string{{"iptables-legacy", "-A", "INPUT", "-s", "10.203.0.66/32", "-p", "tcp", "--dport", "993", "-j", "DROP"},
		{"iptables-legacy", "-P", "INPUT", "ACCEPT"},
		{"iptables-legacy", "-N", "mine"}, {"iptables-legacy", "-A", "INPUT", "-i", "mail+", "-j", "mine"},
		{"iptables-legacy", "-A", "mine", "-p", "tcp", "-m", "state", "--state", "NEW", "--dport", "143", "-j", "REJECT"}},
		check: func(t *testing.T, rs *Ruleset) {
			if rs.LegacyNotRead != "" {
				t.Errorf("legacy tables not read: %s", rs.LegacyNotRead)
			}
		}},
}

func TestKernelAgrees(t *testing.T) {
	for _, tc := range kernelCases {
		t.Run(tc.name, func(t *testing.T) {
			h := startHost(t)
			if tc.nft != "" {
				if err := h.Nft(tc.nft); err != nil {
					t.Fatal(err)
				}
			}
			for _, argv := range tc.cmds {
				if out, err := h.Run(argv...); err != nil {
					t.Fatalf("%s: %v %s", strings.Join(argv, " "), err, out)
				}
			}
			rs := readHost(t, h.NetNS(), h.ProcNet())
			for _, src := range []string{sandbox.ClientIPv4, sandbox.ClientAlt4, sandbox.ClientIPv6, sandbox.ClientAlt6} {
				for _, port := range testPorts {
					agree(t, rs, h.Client, src, port)
				}
			}
			if tc.check != nil {
				tc.check(t, rs)
			}
		})
	}
}

// refusedBy checks that 993 over IPv4 is refused by that table's chain.
func refusedBy(table, chain string, policy bool) func(t *testing.T, rs *Ruleset) {
	return func(t *testing.T, rs *Ruleset) {
		v := Judge(rs, query(sandbox.ClientIPv4, 993))
		if v.Outcome != Refused || v.Rule.Table != table || v.Rule.Chain != chain || v.Rule.Policy != policy {
			t.Errorf("993: got %s by %s, want refused by %s/%s policy=%v", v.Outcome, v.Rule, table, chain, policy)
		}
	}
}

// A netdev ingress chain: nft 1.0.6 (Debian 12) does not say in its JSON
// which device the chain is on; its text listing does, and Read takes it
// from there: the judge agrees with the client on every nft version, and
// a client arriving on another device does not meet the chain.
func TestKernelIngress(t *testing.T) {
	h := startHost(t)
	if err := h.Nft(`table netdev edge { chain ing { type filter hook ingress device "mail0" priority -500; ip6 saddr fd00:203::66 tcp dport 143 drop; }; }`); err != nil {
		t.Fatal(err)
	}
	rs := readHost(t, h.NetNS(), h.ProcNet())
	v := Judge(rs, query(sandbox.ClientAlt6, 143))
	accepted, err := probe(t, h.Client, sandbox.ClientAlt6, 143, false)
	if accepted {
		t.Fatalf("the ingress drop let the client through")
	}
	if v.Outcome != Refused || v.Rule.Chain != "ing" {
		t.Errorf("got %s (%s: %s), want refused by chain ing (probe: %v)", v.Outcome, v.Rule, v.Why, err)
	}
	other := query(sandbox.ClientAlt6, 143)
	other.Iface = "eth9"
	if v := Judge(rs, other); v.Outcome != Accepted {
		t.Errorf("arriving on eth9: got %s (%s: %s), want accepted (the chain is on mail0)", v.Outcome, v.Rule, v.Why)
	}
	if v := Judge(rs, query(sandbox.ClientIPv6, 143)); v.Outcome != Accepted {
		t.Errorf("another source: got %s (%s), want accepted", v.Outcome, v.Rule)
	}
}
