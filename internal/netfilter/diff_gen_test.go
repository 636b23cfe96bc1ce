package netfilter

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// genRuleset writes a random ruleset from the vocabulary real rulesets
// use (tables of three families, base chains on prerouting and input at
// mixed priorities, policies, regular chains reached by jump and goto,
// named and anonymous sets with intervals and prefixes, counters, limits),
// over the addresses, interface and ports the kernel tests probe.
func genRuleset(r *rand.Rand) string {
	var b strings.Builder
	families := []string{"inet", "ip", "ip6"}
	for ti := range 1 + r.IntN(3) {
		fam := families[r.IntN(len(families))]
		fmt.Fprintf(&b, "table %s t%d {\n", fam, ti)
		if fam != "ip6" {
			fmt.Fprintf(&b, "\tset a4 { type ipv4_addr; flags interval; auto-merge; elements = { %s } }\n", pick(r, v4Values, 1+r.IntN(2), ", "))
		}
		if fam != "ip" {
			fmt.Fprintf(&b, "\tset a6 { type ipv6_addr; flags interval; auto-merge; elements = { %s } }\n", pick(r, v6Values, 1+r.IntN(2), ", "))
		}
		fmt.Fprintf(&b, "\tset p { type inet_service; flags interval; auto-merge; elements = { %s } }\n", pick(r, portValues, 1+r.IntN(2), ", "))
		if fam != "ip6" {
			fmt.Fprintf(&b, "\tset c4 { type ipv4_addr . inet_service; elements = { %s } }\n", pick(r, []string{"10.203.0.66 . 993", "10.203.0.2 . 143", "10.203.0.2 . 2222", "192.0.2.1 . 993"}, 1+r.IntN(2), ", "))
		}
		if fam != "ip" {
			fmt.Fprintf(&b, "\tset c6 { type ipv6_addr . inet_service; elements = { %s } }\n", pick(r, []string{"fd00:203::66 . 993", "fd00:203::2 . 143", "fd00:203::2 . 2222"}, 1+r.IntN(2), ", "))
		}
		if r.IntN(4) == 0 {
			ports := []string{"143", "993", "2222"}
			fmt.Fprintf(&b, "\tchain n { type nat hook prerouting priority %d;\n\t\t%s tcp dport %s redirect to :%s\n\t}\n",
				[]int{-100, -100, 50}[r.IntN(3)], genMatch(r, fam), ports[r.IntN(3)], ports[r.IntN(3)])
		}
		regular := r.IntN(4)
		for ci := range 1 + r.IntN(2) {
			hook := []string{"prerouting", "input", "input"}[r.IntN(3)]
			prio := []int{-300, -250, -150, -10, 0, 0, 5, 10, 100}[r.IntN(9)]
			policy := "accept"
			if r.IntN(4) == 0 {
				policy = "drop"
			}
			fmt.Fprintf(&b, "\tchain b%d { type filter hook %s priority %d; policy %s;\n", ci, hook, prio, policy)
			// Let every packet but the SYN through: the client sees the
			// SYN's fate only if the rest of the handshake passes.
			b.WriteString("\t\ttcp flags & (syn | ack) != syn accept\n")
			genRules(&b, r, fam, hook, -1, regular)
			b.WriteString("\t}\n")
		}
		for ci := range regular {
			fmt.Fprintf(&b, "\tchain c%d {\n", ci)
			genRules(&b, r, fam, "input", ci, regular)
			b.WriteString("\t}\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

var (
	v4Values   = []string{"10.203.0.2", "10.203.0.66", "10.203.0.0/24", "10.203.0.64/26", "10.0.0.0/8", "192.0.2.1", "10.203.0.1-10.203.0.10"}
	v6Values   = []string{"fd00:203::2", "fd00:203::66", "fd00:203::/64", "fd00:203::40-fd00:203::80", "2001:db8::/32"}
	portValues = []string{"143", "993", "2222", "100-200", "990-1000", "22", "2000-3000"}
	// Disjoint values for anonymous sets (nft refuses overlaps there).
	v4Disjoint   = []string{"10.203.0.2", "10.203.0.66", "192.0.2.1", "10.203.0.128/25", "10.203.0.60-10.203.0.64"}
	v6Disjoint   = []string{"fd00:203::2", "fd00:203::66", "2001:db8::/32", "fd00:203::1:0/112"}
	portDisjoint = []string{"143", "993", "2222", "22", "100-150", "2000-2200"}
)

func pick(r *rand.Rand, values []string, n int, sep string) string {
	r.Shuffle(len(values), func(i, j int) { values[i], values[j] = values[j], values[i] })
	return strings.Join(values[:min(n, len(values))], sep)
}

// genRules writes 1-5 rules; a regular chain ci jumps only to chains after
// it (nft refuses loops).
func genRules(b *strings.Builder, r *rand.Rand, fam, hook string, ci, regular int) {
	for range 1 + r.IntN(5) {
		var parts []string
		for range r.IntN(3) {
			if m := genMatch(r, fam); !conflicts(append(parts, m)) {
				parts = append(parts, m)
			}
		}
		if r.IntN(5) == 0 {
			parts = append(parts, "counter")
		}
		if r.IntN(10) == 0 {
			parts = append(parts, "limit rate 10000/second")
		}
		parts = append(parts, genVerdict(r, hook, ci, regular))
		fmt.Fprintf(b, "\t\t%s\n", strings.Join(parts, " "))
	}
}

func genMatch(r *rand.Rand, fam string) string {
	neg := ""
	if r.IntN(4) == 0 {
		neg = "!= "
	}
	switch r.IntN(12) {
	case 10:
		if fam != "ip6" {
			return "ip saddr . tcp dport " + neg + "@c4"
		}
		return "ip6 saddr . tcp dport " + neg + "@c6"
	case 11:
		if fam != "ip6" {
			return "ip saddr . tcp dport { 10.203.0.66 . 993, 10.203.0.2 . 2222 }"
		}
		return "ip6 saddr . tcp dport { fd00:203::66 . 993, fd00:203::2 . 2222 }"
	case 0:
		if fam != "ip6" {
			return "ip saddr " + neg + v4Values[r.IntN(len(v4Values))]
		}
		return "ip6 saddr " + neg + v6Values[r.IntN(len(v6Values))]
	case 1:
		if fam != "ip6" {
			return "ip saddr " + neg + "@a4"
		}
		return "ip6 saddr " + neg + "@a6"
	case 2:
		if fam != "ip" {
			return "ip6 saddr " + neg + "{ " + pick(r, v6Disjoint, 2, ", ") + " }"
		}
		return "ip saddr " + neg + "{ " + pick(r, v4Disjoint, 2, ", ") + " }"
	case 3:
		return "tcp dport " + neg + portValues[r.IntN(len(portValues))]
	case 4:
		return "tcp dport " + neg + "@p"
	case 5:
		return "iifname " + neg + []string{`"mail0"`, `"eth9"`, `"mail*"`}[r.IntN(3)]
	case 6:
		return "meta l4proto " + []string{"tcp", "udp"}[r.IntN(2)]
	case 7:
		return "ct state " + []string{"new", "established,related", "invalid", "{ new, untracked }"}[r.IntN(4)]
	case 8:
		if fam == "inet" {
			return "meta nfproto " + []string{"ipv4", "ipv6"}[r.IntN(2)]
		}
		return "udp dport 53"
	}
	return "tcp dport " + neg + "{ " + pick(r, portDisjoint, 2, ", ") + " }"
}

func genVerdict(r *rand.Rand, hook string, ci, regular int) string {
	n := r.IntN(10)
	if n < 3 && ci+1 < regular {
		target := ci + 1 + r.IntN(regular-ci-1)
		return []string{"jump", "goto"}[r.IntN(2)] + fmt.Sprintf(" c%d", target)
	}
	if r.IntN(8) == 0 {
		jump := "drop"
		if ci+1 < regular {
			jump = fmt.Sprintf("jump c%d", ci+1)
		}
		return []string{
			"ct state vmap { established : accept, related : accept, invalid : drop, new : continue }",
			"tcp dport vmap { 143 : accept, 993 : drop, 2222 : " + jump + " }",
			`iifname vmap { "lo" : accept, "mail0" : continue }`,
		}[r.IntN(3)]
	}
	switch {
	case n < 5:
		return "accept"
	case n < 7 && hook == "input":
		return "reject"
	case n < 8:
		return "drop"
	case n < 9 && ci >= 0:
		return "return"
	}
	return "continue"
}

// conflicts: matches nft refuses together (both address families, or a
// udp match beside a tcp one).
func conflicts(parts []string) bool {
	all := " " + strings.Join(parts, " ")
	v4 := strings.Contains(all, " ip saddr") || strings.Contains(all, "nfproto ipv4")
	v6 := strings.Contains(all, " ip6 saddr") || strings.Contains(all, "nfproto ipv6")
	udp := strings.Contains(all, "udp")
	tcp := strings.Contains(all, "tcp")
	return (v4 && v6) || (udp && tcp)
}
