package firewalld

import (
	"fmt"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// benchPorts are the stock definitions' ports of the mail services.
var benchPorts = map[string]string{"smtp": "25", "smtps": "465", "submission": "587", "imap": "143", "imaps": "993", "http": "80", "https": "443", "ssh": "22"}

// banned993 is bannedRuleset with the services' stock ports: its bans on
// 993/tcp then cut the address space where imaps is judged, as on a host
// whose Fail2ban bans with firewallcmd-rich-rules.
func banned993(b testing.TB, n int) *ruleset.Ruleset {
	rs := bannedRuleset(b, n)
	for s := range rs.Services {
		rs.Services[s] = ruleset.Service{Name: s, Ports: []ruleset.Port{{Port: benchPorts[s], Protocol: "tcp"}}}
	}
	return rs
}

// BenchmarkEvaluateBans993: the cost must grow linearly with the bans
// (it grew with their square: each region was walked through every rule).
func BenchmarkEvaluateBans993(b *testing.B) {
	var reqs []ruleset.Requirement
	for _, s := range []string{"smtp", "smtps", "submission", "imap", "imaps", "http", "https"} {
		reqs = append(reqs, ruleset.Requirement{Name: s, Service: s, Ports: []ruleset.Port{{Port: benchPorts[s], Protocol: "tcp"}}})
	}
	for _, bans := range []int{0, 1000, 4000, 10000} {
		b.Run(fmt.Sprintf("bans=%d", bans), func(b *testing.B) {
			pm := banned993(b, 0)
			rules := banned993(b, bans).Zones["public"].RichRules
			for i := 0; i < b.N; i++ {
				rt := banned993(b, 0)
				rt.Zones["public"].RichRules = rules // a fresh view: no chain cached
				f := Facts{Runtime: rt, Permanent: pm, Families: []string{ruleset.IPv4, ruleset.IPv6}, Served: []string{ruleset.IPv4, ruleset.IPv6}}
				r := Evaluate(f, Policy{Requirements: reqs, Drift: plugin.Warning})
				if r.State() != plugin.OK {
					b.Fatalf("%v %s", r.State(), r.Summary)
				}
			}
		})
	}
}

// BenchmarkEvaluateIPSetBans: a rich rule rejecting an ipset of n banned
// addresses on 993 cuts n regions; each was looked up entry by entry.
func BenchmarkEvaluateIPSetBans(b *testing.B) {
	reqs := []ruleset.Requirement{{Name: "imaps", Service: "imaps", Ports: []ruleset.Port{{Port: "993", Protocol: "tcp"}}}}
	for _, n := range []int{0, 4000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			r, err := ruleset.ParseRichRule(`rule source ipset="f2b" port port="993" protocol="tcp" reject`)
			if err != nil {
				b.Fatal(err)
			}
			entries := make([]string, n)
			for i := range entries {
				entries[i] = fmt.Sprintf("198.18.%d.%d", i/254, 1+i%254)
			}
			pm := banned993(b, 0)
			for i := 0; i < b.N; i++ {
				rs := banned993(b, 0)
				rs.Zones["public"].RichRules = []ruleset.RichRule{r}
				rs.IPSets["f2b"] = &ruleset.IPSet{Name: "f2b", Type: "hash:ip", Family: ruleset.IPv4, Entries: entries}
				f := Facts{Runtime: rs, Permanent: pm, Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}}
				Evaluate(f, Policy{Requirements: reqs, Drift: plugin.Warning})
			}
		})
	}
}
