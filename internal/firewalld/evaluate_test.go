package firewalld

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

var imaps = ruleset.Requirement{Name: "imaps", Service: "imaps", Ports: []ruleset.Port{{Port: "993", Protocol: "tcp"}}}
var sieve = ruleset.Requirement{Name: "4190/tcp", Ports: []ruleset.Port{{Port: "4190", Protocol: "tcp"}}}

// view is a ruleset whose default zone public holds services and ports.
func view(services []string, ports ...ruleset.Port) *ruleset.Ruleset {
	return &ruleset.Ruleset{Source: "test", DefaultZone: "public",
		Zones:    map[string]*ruleset.Zone{"public": {Name: "public", Target: "default", Services: services, Ports: ports}},
		Services: map[string]ruleset.Service{"imaps": {Name: "imaps", Ports: []ruleset.Port{{Port: "993", Protocol: "tcp"}}}}}
}

// ipv4Facts judges IPv4 only, as on a host without global IPv6.
func ipv4Facts(rt, pm *ruleset.Ruleset) Facts {
	return Facts{Runtime: rt, Permanent: pm, Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}}
}

func evalText(r plugin.Result) string {
	all := r.Summary
	for _, f := range r.Findings {
		all += "\n" + f.Text + " " + f.Fix
	}
	return all + "\n" + strings.Join(r.Details, "\n")
}

func TestEvaluateStates(t *testing.T) {
	cases := []struct {
		name  string
		facts Facts
		want  plugin.State
		texts []string
	}{
		{"open in both", ipv4Facts(view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"}), view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"})),
			plugin.OK, []string{"all 2 required services and ports open in zone public"}},
		{"runtime only", ipv4Facts(view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"}), view(nil, ruleset.Port{Port: "4190", Protocol: "tcp"})),
			plugin.Warning, []string{"imaps open in runtime only", "--permanent --zone=public --add-service=imaps"}},
		{"permanent only", ipv4Facts(view(nil, ruleset.Port{Port: "4190", Protocol: "tcp"}), view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"})),
			plugin.Critical, []string{"imaps closed in runtime zone public: mail is down now"}},
		{"closed everywhere", ipv4Facts(view(nil), view(nil)),
			plugin.Critical, []string{"imaps and 4190/tcp closed", "--add-port=4190/tcp && firewall-cmd --reload"}},
		{"port by range", ipv4Facts(view([]string{"imaps"}, ruleset.Port{Port: "4000-4200", Protocol: "tcp"}), view([]string{"imaps"}, ruleset.Port{Port: "4000-4200", Protocol: "tcp"})),
			plugin.OK, []string{"port 4000-4200/tcp"}},
		{"not running", Facts{RuntimeErr: ErrNotRunning, Permanent: view([]string{"imaps"}), Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}},
			plugin.Critical, []string{"firewalld is not running", "4190/tcp is missing from the permanent config"}},
		{"runtime unreadable", Facts{RuntimeErr: fmt.Errorf("x: %w", ErrAccessDenied), Permanent: view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"}), Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}},
			plugin.Unknown, []string{"runtime config unreadable", "contrib/polkit"}},
		{"permanent unreadable", Facts{Runtime: view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"}), PermanentErr: &fwconfig.FileError{Path: "/etc/firewalld/zones/public.xml", Err: fs.ErrPermission}, Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}},
			plugin.Unknown, []string{"permanent config unreadable", "setfacl"}},
		{"closed beats unknown", Facts{Runtime: view(nil), PermanentErr: errors.New("broken"), Families: []string{ruleset.IPv4}, Served: []string{ruleset.IPv4}},
			plugin.Critical, []string{"closed in runtime", "permanent not verified"}},
		{"config file firewalld refuses", func() Facts {
			f := ipv4Facts(view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"}), view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"}))
			f.Problems = []fwconfig.ConfigProblem{{Path: "/etc/firewalld/zones/public.xml", Reason: "PARSE_ERROR: unknown element <servce>"}}
			return f
		}(), plugin.Warning, []string{"the next reload fails; at the next restart firewalld falls back to its stock config: /etc/firewalld/zones/public.xml: PARSE_ERROR", "firewall-cmd --check-config"}},
		// A file this check cannot read says nothing about the reload: not a
		// refusal (firewalld as root reads it), and never OK either.
		{"config file this check cannot read", func() Facts {
			f := ipv4Facts(view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"}), view([]string{"imaps"}, ruleset.Port{Port: "4190", Protocol: "tcp"}))
			f.Problems = []fwconfig.ConfigProblem{{Path: "/etc/firewalld/zones/work.xml", Reason: "permission denied: firewalld (root) may read it, this check cannot; grant read access or run as root", Unverified: true}}
			return f
		}(), plugin.Unknown, []string{"cannot tell whether the next reload succeeds: /etc/firewalld/zones/work.xml", "setfacl", "1 permanent config file this check cannot read"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Evaluate(c.facts, Policy{Requirements: []ruleset.Requirement{imaps, sieve}, Drift: plugin.Warning})
			all := evalText(r)
			if r.State() != c.want {
				t.Fatalf("state %v, want %v:\n%s", r.State(), c.want, all)
			}
			for _, w := range c.texts {
				if !strings.Contains(all, w) {
					t.Fatalf("missing %q in:\n%s", w, all)
				}
			}
		})
	}
}

func TestEvaluateNeverAdvisesRuntimeToPermanent(t *testing.T) {
	rt := view([]string{"imaps", "ssh"}, ruleset.Port{Port: "8080", Protocol: "tcp"})
	pm := view(nil)
	r := Evaluate(ipv4Facts(rt, pm), Policy{Requirements: []ruleset.Requirement{imaps}, Drift: plugin.Critical})
	for _, f := range r.Findings {
		if strings.Contains(f.Fix, "runtime-to-permanent") && !strings.Contains(f.Fix, "would also persist") {
			t.Fatalf("finding %q advises --runtime-to-permanent", f.Text)
		}
	}
	if r.State() != plugin.Critical || len(r.Findings) != 3 {
		t.Fatalf("want imaps warning plus ssh and 8080 drift at critical, got %v %+v", r.State(), r.Findings)
	}
}

func TestParseListAllFixtures(t *testing.T) {
	// Captured from firewall-cmd 1.3 against the sandbox.
	z, err := ParseListAll(mustRead(t, "testdata/list-all-runtime.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if z.Name != "public" || z.Target != "default" || len(z.Services) != 3 || len(z.Ports) != 2 || len(z.RichRules) != 2 {
		t.Fatalf("parsed %+v", z)
	}
	if z.Ports[1] != (ruleset.Port{Port: "8000-8010", Protocol: "udp"}) || z.RichRules[1].Service != "imap" {
		t.Fatalf("parsed %+v", z)
	}
	if _, err := ParseListAll("FirewallD is not running\n"); err == nil {
		t.Fatal("accepted garbage")
	}
}

func TestPortsAndRanges(t *testing.T) {
	if !(ruleset.Port{Port: "4000-4200", Protocol: "tcp"}).Covers(ruleset.Port{Port: "4190", Protocol: "tcp"}) || (ruleset.Port{Port: "4000-4200", Protocol: "udp"}).Covers(ruleset.Port{Port: "4190", Protocol: "tcp"}) ||
		(ruleset.Port{Port: "993", Protocol: "tcp"}).Covers(ruleset.Port{Port: "990-995", Protocol: "tcp"}) {
		t.Fatal("range coverage wrong")
	}
	for _, bad := range []string{"4190", "x/tcp", "70000/tcp", "5-1/udp", "25/icmp"} {
		if _, err := ruleset.ParsePort(bad); err == nil {
			t.Errorf("ParsePort(%q) accepted", bad)
		}
	}
}

func mustRead(t *testing.T, path string) string {
	b, err := readTestFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTestFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
