package firewalld

import (
	"fmt"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// benchPorts are the stock definitions' ports of the mail services.
var benchPorts = map[string]string{"smtp": "25", "smtps": "465", "submission": "587", "imap": "143", "imaps": "993", "http": "80", "https": "443", "ssh": "22"}

// banned993 is bannedRuleset with the services' stock ports: its bans on
// 993/tcp then cut the address space where imaps is judged, as on a host
// whose Fail2ban bans with firewallcmd-rich-rules.
func banned993(b testing.TB, n int) *Ruleset {
	rs := bannedRuleset(b, n)
	for s := range rs.Services {
		rs.Services[s] = Service{Name: s, Ports: []Port{{benchPorts[s], "tcp"}}}
	}
	return rs
}

// BenchmarkEvaluateBans993: the cost must grow linearly with the bans
// (it grew with their square: each region was walked through every rule).
func BenchmarkEvaluateBans993(b *testing.B) {
	var reqs []Requirement
	for _, s := range []string{"smtp", "smtps", "submission", "imap", "imaps", "http", "https"} {
		reqs = append(reqs, Requirement{Name: s, Service: s, Ports: []Port{{benchPorts[s], "tcp"}}})
	}
	for _, bans := range []int{0, 1000, 4000, 10000} {
		b.Run(fmt.Sprintf("bans=%d", bans), func(b *testing.B) {
			pm := banned993(b, 0)
			rules := banned993(b, bans).Zones["public"].RichRules
			for i := 0; i < b.N; i++ {
				rt := banned993(b, 0)
				rt.Zones["public"].RichRules = rules // a fresh view: no chain cached
				f := Facts{Runtime: rt, Permanent: pm, Families: []string{IPv4, IPv6}, Served: []string{IPv4, IPv6}}
				r := Evaluate(f, Policy{Requirements: reqs, Drift: plugin.Warning})
				if r.State() != plugin.OK {
					b.Fatalf("%v %s", r.State(), r.Summary)
				}
			}
		})
	}
}
