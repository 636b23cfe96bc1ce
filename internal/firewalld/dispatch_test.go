package firewalld

import (
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// TestDispatchByIngressPriority: zone block catches 0.0.0.0/0 by source,
// zone internal (imaps open) is bound to eth0 at ingress-priority -1.
// firewalld 2.x tries internal first (the lower priority), so IPv4 clients
// on eth0 are served; 1.3 knows no priorities and dispatches by source
// first, so they are refused; an unknown version is judged as 2.x (only
// 2.x carries a priority). With the priority at 0, 2.x too dispatches by
// source first.
func TestDispatchByIngressPriority(t *testing.T) {
	views := func(prio int) *ruleset.Ruleset {
		block := &ruleset.Zone{Name: "block", Target: "%%REJECT%%", Sources: []string{"0.0.0.0/0"}}
		internal := &ruleset.Zone{Name: "internal", Target: "default", Services: []string{"imaps"}, Interfaces: []string{"eth+"}, IngressPriority: prio}
		return rulesetOf(block, internal, &ruleset.Zone{Name: "public", Target: "default"})
	}
	for _, c := range []struct {
		name    string
		version fwconfig.FirewalldVersion
		prio    int
		state   plugin.State
		zone    string
	}{
		{"2.3 at -1: the interface zone first", fwconfig.ParseFirewalldVersion("2.3.1", "test"), -1, plugin.OK, "internal"},
		{"2.3 at 0: sources first", fwconfig.ParseFirewalldVersion("2.3.1", "test"), 0, plugin.Critical, "block"},
		{"1.3: sources first whatever the priority", fwconfig.ParseFirewalldVersion("1.3.3", "test"), -1, plugin.Critical, "block"},
		{"unknown version: as 2.x", fwconfig.UnknownFirewalldVersion(nil), -1, plugin.OK, "internal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := Facts{Runtime: views(c.prio), Permanent: views(c.prio), Version: c.version,
				Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4},
				Arrival: ruleset.Arrival{Interfaces: map[string][]string{ruleset.IPv4: {"eth0"}}}}
			r := Evaluate(f, Policy{Requirements: []ruleset.Requirement{{Name: "imaps", Service: "imaps", Ports: []ruleset.Port{{Port: "993", Protocol: "tcp"}}}}, Drift: plugin.Warning})
			text := evalText(r)
			if r.State() != c.state || !strings.Contains(text, "zone "+c.zone) {
				t.Errorf("%v, want %v in zone %s:\n%s", r.State(), c.state, c.zone, text)
			}
		})
	}
}
