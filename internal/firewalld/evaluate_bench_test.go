package firewalld

import (
	"fmt"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// bannedRuleset is a public zone with the mail services and n Fail2ban bans
// (runtime-only rich rules for single sources), as on a busy mail host.
func bannedRuleset(b testing.TB, n int) *ruleset.Ruleset {
	services := []string{"smtp", "smtps", "submission", "imap", "imaps", "http", "https", "ssh"}
	z := &ruleset.Zone{Name: "public", Target: "default", Services: services}
	for i := 0; i < n; i++ {
		text := fmt.Sprintf(`rule family="ipv4" source address="198.%d.%d.%d" port port="993" protocol="tcp" reject type="icmp-port-unreachable"`, 18+i/65536%2, i/256%256, i%256)
		r, err := ruleset.ParseRichRule(text)
		if err != nil {
			b.Fatal(err)
		}
		z.RichRules = append(z.RichRules, r)
	}
	rs := rulesetOf(z)
	for i, s := range services {
		rs.Services[s] = ruleset.Service{Name: s, Ports: []ruleset.Port{{Port: fmt.Sprint(1000 + i), Protocol: "tcp"}}}
	}
	return rs
}

func mailRequirements() []ruleset.Requirement {
	var reqs []ruleset.Requirement
	for i, s := range []string{"smtp", "smtps", "submission", "imap", "imaps", "http", "https"} {
		reqs = append(reqs, ruleset.Requirement{Name: s, Service: s, Ports: []ruleset.Port{{Port: fmt.Sprint(1000 + i), Protocol: "tcp"}}})
	}
	return reqs
}

// BenchmarkEvaluate: a typical zone, and one carrying 1000 Fail2ban bans
// (each a source range to judge separately).
func BenchmarkEvaluate(b *testing.B) {
	for _, bans := range []int{0, 1000} {
		b.Run(fmt.Sprintf("bans=%d", bans), func(b *testing.B) {
			rt, pm := bannedRuleset(b, bans), bannedRuleset(b, 0)
			f := Facts{Runtime: rt, Permanent: pm, Families: []string{ruleset.IPv4, ruleset.IPv6}, Served: []string{ruleset.IPv4, ruleset.IPv6}}
			p := Policy{Requirements: mailRequirements(), Drift: plugin.Warning}
			for i := 0; i < b.N; i++ {
				if r := Evaluate(f, p); r.State() != plugin.OK {
					b.Fatalf("%v %s", r.State(), r.Summary)
				}
			}
		})
	}
}
