package firewalld

import (
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// FuzzJudge: any set of rich rules (one per line) in the zone clients land
// in, judged for both families, ends in a verdict: no panic, no hang, and
// a state that is OK only with every family open.
func FuzzJudge(f *testing.F) {
	for _, s := range []string{
		`rule priority="-10" service name="imaps" reject`,
		"rule family=\"ipv4\" source address=\"10.0.0.0/8\" reject\nrule family=\"ipv6\" source NOT address=\"2001:db8::/32\" accept",
		`rule source ipset="x" drop`,
		"rule family=\"ipv4\" forward-port port=\"993\" protocol=\"tcp\" to-port=\"1\"\nrule protocol value=\"tcp\" accept limit value=\"1/s\"",
		`rule family="ipv4" destination address="192.0.2.1" source-port port="1-65535" protocol="tcp" drop`,
	} {
		f.Add(s, "imaps")
	}
	f.Fuzz(func(t *testing.T, rules, service string) {
		z := &ruleset.Zone{Name: "public", Target: "default", Services: strings.Fields(service)}
		for _, line := range strings.Split(rules, "\n") {
			// what firewalld 1.3 keeps of the line, as the permanent view reads it
			kept, ok := fwconfig.KeptRule(line)
			if !ok {
				continue
			}
			if r, err := ruleset.ParseRichRule(kept); err == nil {
				z.RichRules = append(z.RichRules, r)
			}
		}
		if len(z.RichRules) > 64 {
			return
		}
		rs := rulesetOf(z)
		facts := Facts{Runtime: rs, Permanent: rs, Families: []string{ruleset.IPv4, ruleset.IPv6}, Served: []string{ruleset.IPv4, ruleset.IPv6}}
		r := Evaluate(facts, Policy{Requirements: []ruleset.Requirement{imaps}})
		if r.State() == plugin.OK {
			for _, fc := range ruleset.Judge(rs, imaps, facts.Families, ruleset.Arrival{}, "").Families {
				if !fc.Open() {
					t.Fatalf("OK with %s %d %q", fc.Family, fc.State, fc.How)
				}
			}
		}
	})
}
