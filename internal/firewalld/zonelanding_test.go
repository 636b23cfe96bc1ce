package firewalld

import (
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// withZone adds a zone to a view built by view().
func withZone(rs *ruleset.Ruleset, z *ruleset.Zone) *ruleset.Ruleset {
	rs.Zones[z.Name] = z
	return rs
}

func TestZoneFlagJudgesWhereClientsLand(t *testing.T) {
	eth0 := ruleset.Arrival{Interfaces: map[string][]string{ruleset.IPv4: {"eth0"}}}
	dropBound := func() *ruleset.Ruleset {
		return withZone(view([]string{"imaps"}), &ruleset.Zone{Name: "drop", Target: "DROP", Interfaces: []string{"eth0"}})
	}
	cases := []struct {
		name  string
		f     Facts
		want  plugin.State
		texts []string
	}{
		{"interface bound to drop", Facts{Zone: "public", Runtime: dropBound(), Permanent: dropBound(), Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}, Arrival: eth0},
			plugin.Critical, []string{"closed in runtime zone drop", "clients on eth0 land in zone drop, not public (--zone): eth0 is bound to it",
				"firewall-cmd --zone=public --change-interface=eth0 && firewall-cmd --permanent --zone=public --change-interface=eth0",
				"--permanent --zone=public --add-service=imaps"}},
		{"NetworkManager owns the binding", Facts{Zone: "public", Runtime: dropBound(), Permanent: dropBound(), Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}, Arrival: eth0,
			NM: NMFacts{Asked: true, Running: true, Devices: map[string]NMDevice{"eth0": {"eth0", "Wired connection 1", "drop", true}}}},
			plugin.Critical, []string{"(NetworkManager profile 'Wired connection 1')", "nmcli connection modify 'Wired connection 1' connection.zone public"}},
		{"no interface known: --zone stands in for the default zone", Facts{Zone: "work", Runtime: withZone(view([]string{"imaps"}), &ruleset.Zone{Name: "work", Target: "default"}),
			Permanent: withZone(view([]string{"imaps"}), &ruleset.Zone{Name: "work", Target: "default"}), Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}},
			plugin.Critical, []string{"closed in runtime zone work"}},
		{"clients land in --zone's zone", Facts{Zone: "public", Runtime: view([]string{"imaps"}), Permanent: view([]string{"imaps"}), Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}, Arrival: eth0},
			plugin.OK, []string{"open in zone public"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Evaluate(c.f, Policy{Requirements: []ruleset.Requirement{imaps}, Drift: plugin.Warning})
			text := evalText(r)
			if r.State() != c.want {
				t.Fatalf("state %v, want %v:\n%s", r.State(), c.want, text)
			}
			for _, w := range c.texts {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
		})
	}
}
