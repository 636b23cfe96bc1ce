package netfilter

import (
	"fmt"
	"sort"
	"strconv"
)

// DirectRule is one firewalld direct rule (a <rule> of direct.xml, a line
// of firewall-cmd --direct --get-all-rules) or, with Passthrough, one
// passthrough (its Args are a whole iptables command line after the
// program name: "-t filter -I INPUT -p tcp --dport 993 -j REJECT").
type DirectRule struct {
	IPv         string // ipv4, ipv6; eb rules are not judged (bridges)
	Table       string // filter, raw, mangle, nat, security
	Chain       string
	Priority    int
	Args        string
	Passthrough bool
}

func (d DirectRule) String() string {
	if d.Passthrough {
		return d.IPv + " " + d.Args
	}
	return fmt.Sprintf("%s %s %s %d %s", d.IPv, d.Table, d.Chain, d.Priority, d.Args)
}

// OriginDirect marks the tables DirectRuleset builds.
const OriginDirect = "firewalld-direct"

// DirectRuleset builds the iptables tables firewalld's direct rules make
// once applied (firewalld applies its direct configuration after every
// start and reload): each chain's rules by priority (firewalld keeps equal
// priorities in the order given), then the passthroughs (-A appends, -I
// inserts, -P sets a built-in chain's policy). A rule refusing a packet
// there refuses it in the kernel, whatever else the kernel holds. The
// second result lists the passthroughs not judged (any other command).
func DirectRuleset(rules []DirectRule) (*Ruleset, []string) {
	rs := &Ruleset{}
	tables := map[string]*Table{}
	table := func(ipv, name string) *Table {
		family := map[string]string{"ipv4": "ip", "ipv6": "ip6"}[ipv]
		if family == "" {
			return nil
		}
		t := tables[family+" "+name]
		if t == nil {
			t = &Table{Family: family, Name: name, Origin: OriginDirect, Chains: map[string]*Chain{}, Sets: map[string]*Set{}}
			tables[family+" "+name] = t
			rs.Tables = append(rs.Tables, t)
		}
		return t
	}
	chain := func(t *Table, name string) *Chain {
		ch := chainOf(t, name)
		if ch.Hook == "" {
			if hook, typ, prio := legacyHook(t.Name, name); hook != "" {
				ch.Hook, ch.Type, ch.Priority, ch.Policy = hook, typ, prio, "accept"
			}
		}
		return ch
	}
	sorted := append([]DirectRule(nil), rules...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return !sorted[i].Passthrough && (sorted[j].Passthrough || sorted[i].Priority < sorted[j].Priority)
	})
	var notJudged []string
	for _, d := range sorted {
		if !d.Passthrough {
			t := table(d.IPv, d.Table)
			if t == nil {
				continue
			}
			words, err := splitWords(d.Args)
			if err != nil {
				notJudged = append(notJudged, d.String())
				continue
			}
			ch := chain(t, d.Chain)
			ch.Rules = append(ch.Rules, Rule{Handle: len(ch.Rules) + 1, Exprs: translateRule(words, t.Family), Text: d.String()})
			continue
		}
		if !applyPassthrough(d, table, chain) {
			notJudged = append(notJudged, d.String())
		}
	}
	return rs, notJudged
}

// applyPassthrough applies one passthrough's -A, -I or -P; anything else
// (or a malformed line) reports false, except -N (a new, empty chain) and
// the commands that only remove.
func applyPassthrough(d DirectRule, table func(ipv, name string) *Table, chain func(*Table, string) *Chain) bool {
	words, err := splitWords(d.Args)
	if err != nil {
		return false
	}
	tname := "filter"
	if len(words) >= 2 && (words[0] == "-t" || words[0] == "--table") {
		tname, words = words[1], words[2:]
	}
	t := table(d.IPv, tname)
	if t == nil || len(words) < 2 {
		return t == nil // eb passthroughs are not judged
	}
	switch words[0] {
	case "-N", "--new-chain":
		chain(t, words[1])
		return true
	case "-P", "--policy":
		if len(words) != 3 {
			return false
		}
		ch := chain(t, words[1])
		if ch.Hook == "" {
			return false
		}
		ch.Policy = map[string]string{"DROP": "drop", "ACCEPT": "accept"}[words[2]]
		return ch.Policy != ""
	case "-A", "--append", "-I", "--insert":
		ch := chain(t, words[1])
		args := words[2:]
		at := len(ch.Rules)
		if words[0] == "-I" || words[0] == "--insert" {
			at = 0
			if len(args) > 0 {
				if n, err := strconv.Atoi(args[0]); err == nil && n >= 1 {
					at, args = min(n-1, len(ch.Rules)), args[1:]
				}
			}
		}
		r := Rule{Handle: len(ch.Rules) + 1, Exprs: translateRule(args, t.Family), Text: d.String()}
		ch.Rules = append(ch.Rules[:at], append([]Rule{r}, ch.Rules[at:]...)...)
		return true
	case "-D", "--delete", "-F", "--flush", "-X", "--delete-chain", "-Z", "--zero":
		return false
	}
	return false
}

// InIptablesTable reports whether the rule is in a table the iptables
// tools own by name (an ip/ip6 table filter, nat, mangle, raw or security,
// as iptables-nft makes it): firewalld flushes these by name (iptables -t
// NAME -F) when it flushes iptables at a reload; legacy x_tables are not
// touched (firewalld runs iptables-nft on Debian).
func (r RuleRef) InIptablesTable() bool {
	if r.Family != "ip" && r.Family != "ip6" || (r.Origin != "nftables" && r.Origin != "iptables-nft") {
		return false
	}
	_, ok := legacyPriority[r.Table]
	return ok
}
