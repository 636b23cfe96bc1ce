package firewalld

import (
	"errors"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// A file only one release refuses, with the version unknown, is UNKNOWN
// (never OK, never a definite WARNING), and says which release refuses it;
// the version line is shown without -v.
func TestEvaluateUnknownVersionDisagreement(t *testing.T) {
	f := Facts{Served: []string{ruleset.IPv4}, Families: []string{ruleset.IPv4}, Version: fwconfig.FirewalldVersion{Err: errors.New("no D-Bus")},
		Runtime:   &ruleset.Ruleset{DefaultZone: "public", Zones: map[string]*ruleset.Zone{"public": {Name: "public", Target: "default"}}},
		Permanent: &ruleset.Ruleset{DefaultZone: "public", Zones: map[string]*ruleset.Zone{"public": {Name: "public", Target: "default"}}},
		Problems:  []fwconfig.ConfigProblem{{Path: "/etc/firewalld/zones/public.xml", Reason: "MISSING_FAMILY", OnlyUnder: "firewalld 2.x"}}}
	r := Evaluate(f, Policy{Drift: plugin.Warning})
	if r.State() != plugin.Unknown {
		t.Fatalf("state %v: %+v", r.State(), r)
	}
	text := strings.Join(append(r.Details, r.Summary), "\n")
	for _, want := range []string{"firewalld 2.x refuses /etc/firewalld/zones/public.xml", "version unknown (no D-Bus)"} {
		found := strings.Contains(text, want)
		for _, fd := range r.Findings {
			found = found || strings.Contains(fd.Text, want)
		}
		if !found {
			t.Errorf("output lacks %q: %+v", want, r)
		}
	}
}
