package firewalld

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// rules builds a public zone with imaps and the given rich rules.
func zoneWith(t *testing.T, services []string, rules ...string) *ruleset.Zone {
	t.Helper()
	z := &ruleset.Zone{Name: "public", Target: "default", Services: services}
	for _, text := range rules {
		r, err := ruleset.ParseRichRule(text)
		if err != nil {
			t.Fatal(err)
		}
		z.RichRules = append(z.RichRules, r)
	}
	return z
}

func rulesetOf(zones ...*ruleset.Zone) *ruleset.Ruleset {
	rs := &ruleset.Ruleset{Source: "test", DefaultZone: "public", Zones: map[string]*ruleset.Zone{}, IPSets: map[string]*ruleset.IPSet{},
		Services: map[string]ruleset.Service{"imaps": {Name: "imaps", Ports: []ruleset.Port{{Port: "993", Protocol: "tcp"}}}, "ssh": {Name: "ssh", Ports: []ruleset.Port{{Port: "22", Protocol: "tcp"}}}}}
	for _, z := range zones {
		rs.Zones[z.Name] = z
	}
	return rs
}

// TestReachability judges imaps per family as firewalld's nftables chains
// decide it; each case names the kind of issue 10 it stands for.
func TestReachability(t *testing.T) {
	both := []string{ruleset.IPv4, ruleset.IPv6}
	cases := []struct {
		name       string
		rs         *ruleset.Ruleset
		arr        ruleset.Arrival
		zone       string
		want4      ruleset.CovState
		want6      ruleset.CovState
		how4, how6 string
	}{
		{"service opens", rulesetOf(zoneWith(t, []string{"imaps"})), ruleset.Arrival{}, "", ruleset.CovOpen, ruleset.CovOpen, "service imaps", "service imaps"},
		{"reject at -10 beats the service", rulesetOf(zoneWith(t, []string{"imaps"}, `rule priority="-10" service name="imaps" reject`)), ruleset.Arrival{}, "",
			ruleset.CovClosed, ruleset.CovClosed, `rich rule 'rule priority="-10" service name="imaps" reject'`, "reject"},
		{"deny before allow at priority 0", rulesetOf(zoneWith(t, []string{"imaps"}, `rule service name="imaps" drop`)), ruleset.Arrival{}, "",
			ruleset.CovClosed, ruleset.CovClosed, "drop", "drop"},
		{"positive priority comes after the service", rulesetOf(zoneWith(t, []string{"imaps"}, `rule priority="10" service name="imaps" reject`)), ruleset.Arrival{}, "",
			ruleset.CovOpen, ruleset.CovOpen, "service imaps", "service imaps"},
		{"accept at -5 beats a reject at priority 0", rulesetOf(zoneWith(t, nil, `rule priority="-5" port port="993" protocol="tcp" accept`, `rule protocol value="tcp" reject`)), ruleset.Arrival{}, "",
			ruleset.CovOpen, ruleset.CovOpen, "priority=\"-5\"", "priority=\"-5\""},
		{"ipv6-only accept leaves IPv4 refused", rulesetOf(zoneWith(t, nil, `rule family="ipv6" service name="imaps" accept`)), ruleset.Arrival{}, "",
			ruleset.CovClosed, ruleset.CovOpen, "zone target default", "family=\"ipv6\""},
		{"protocol tcp opens every tcp port", rulesetOf(&ruleset.Zone{Name: "public", Target: "default", Protocols: []string{"tcp"}}), ruleset.Arrival{}, "",
			ruleset.CovOpen, ruleset.CovOpen, "protocol tcp", "protocol tcp"},
		{"zone forward-port is IPv4 only", rulesetOf(&ruleset.Zone{Name: "public", Target: "default", ForwardPorts: []ruleset.ForwardPort{{Port: ruleset.Port{Port: "993", Protocol: "tcp"}, ToPort: "10993", ToAddr: ""}}}), ruleset.Arrival{}, "",
			ruleset.CovOpen, ruleset.CovClosed, "forward-port port=993", "zone target"},
		{"rich forward-port beats a reject", rulesetOf(zoneWith(t, nil, `rule family="ipv6" forward-port port="993" protocol="tcp" to-port="10993"`, `rule priority="-1" service name="imaps" reject`)), ruleset.Arrival{}, "",
			ruleset.CovClosed, ruleset.CovOpen, "reject", "forward-port"},
		{"partial: open except for 10.0.0.0/8", rulesetOf(zoneWith(t, []string{"imaps"}, `rule priority="-1" family="ipv4" source address="10.0.0.0/8" reject`)), ruleset.Arrival{}, "",
			ruleset.CovExcept, ruleset.CovOpen, "open except for 10.0.0.0/8", "service imaps"},
		{"partial: open only for 203.0.113.0/24", rulesetOf(zoneWith(t, nil, `rule family="ipv4" source address="203.0.113.0/24" service name="imaps" accept`)), ruleset.Arrival{}, "",
			ruleset.CovOnly, ruleset.CovClosed, "open only for 203.0.113.0/24", "zone target"},
		{"inverted source: only that net refused", rulesetOf(zoneWith(t, nil, `rule family="ipv4" source NOT address="192.0.2.0/24" service name="imaps" accept`)), ruleset.Arrival{}, "",
			ruleset.CovExcept, ruleset.CovClosed, "open except for 192.0.2.0/24", "zone target"},
		{"interface bound to another zone", rulesetOf(zoneWith(t, []string{"imaps"}), &ruleset.Zone{Name: "work", Target: "default", Services: []string{"ssh"}, Interfaces: []string{"eth0"}}),
			ruleset.Arrival{Interfaces: map[string][]string{ruleset.IPv4: {"eth0"}, ruleset.IPv6: {"eth0"}}}, "", ruleset.CovClosed, ruleset.CovClosed, "zone target default", "zone target default"},
		{"wildcard interface", rulesetOf(zoneWith(t, []string{"imaps"}), &ruleset.Zone{Name: "drop", Target: "DROP", Interfaces: []string{"eth+"}}),
			ruleset.Arrival{Interfaces: map[string][]string{ruleset.IPv4: {"eth1"}}}, "", ruleset.CovClosed, ruleset.CovOpen, "zone target DROP", "service imaps"},
		{"source-bound zone catches all IPv4 clients", rulesetOf(zoneWith(t, []string{"imaps"}), &ruleset.Zone{Name: "block", Target: "%%REJECT%%", Sources: []string{"0.0.0.0/1", "128.0.0.0/1"}}),
			ruleset.Arrival{}, "", ruleset.CovClosed, ruleset.CovOpen, "zone target %%REJECT%%", "service imaps"},
		{"source-bound zone catches some clients", rulesetOf(zoneWith(t, []string{"imaps"}), &ruleset.Zone{Name: "internal", Target: "default", Sources: []string{"2001:db8::/32"}}),
			ruleset.Arrival{}, "", ruleset.CovOpen, ruleset.CovExcept, "service imaps", "open except for 2001:db8::/32"},
		{"--zone does not stop a source zone catching clients", rulesetOf(zoneWith(t, []string{"imaps"}), &ruleset.Zone{Name: "block", Target: "%%REJECT%%", Sources: []string{"0.0.0.0/0"}}),
			ruleset.Arrival{}, "public", ruleset.CovClosed, ruleset.CovOpen, "zone target %%REJECT%%", "service imaps"},
		{"--zone does not stop an interface zone catching clients", rulesetOf(zoneWith(t, []string{"imaps"}), &ruleset.Zone{Name: "drop", Target: "DROP", Interfaces: []string{"eth0"}}),
			ruleset.Arrival{Interfaces: map[string][]string{ruleset.IPv4: {"eth0"}, ruleset.IPv6: {"eth0"}}}, "public", ruleset.CovClosed, ruleset.CovClosed, "zone target DROP", "zone target DROP"},
		{"unknown ipset: say so", rulesetOf(zoneWith(t, []string{"imaps"}, `rule source ipset="blocklist" drop`)), ruleset.Arrival{}, "",
			ruleset.CovUnknown, ruleset.CovUnknown, "ipset blocklist", "ipset blocklist"},
		{"target ACCEPT", rulesetOf(&ruleset.Zone{Name: "public", Target: "ACCEPT"}), ruleset.Arrival{}, "", ruleset.CovOpen, ruleset.CovOpen, "zone target ACCEPT", "zone target ACCEPT"},
		{"mark and log decide nothing", rulesetOf(zoneWith(t, []string{"imaps"}, `rule priority="-3" service name="imaps" mark set=1`, `rule priority="-2" service name="imaps" log prefix="x"`)), ruleset.Arrival{}, "",
			ruleset.CovOpen, ruleset.CovOpen, "service imaps", "service imaps"},
		{"a limited accept still opens, noted", rulesetOf(zoneWith(t, nil, `rule service name="imaps" accept limit value="10/m"`)), ruleset.Arrival{}, "",
			ruleset.CovOpen, ruleset.CovOpen, "limit", "limit"},
		{"source-port for all client ports", rulesetOf(zoneWith(t, []string{"imaps"}, `rule priority="-1" source-port port="1024-65535" protocol="tcp" reject`)), ruleset.Arrival{}, "",
			ruleset.CovClosed, ruleset.CovClosed, "source-port", "source-port"},
		{"a MAC rule: cannot tell", rulesetOf(zoneWith(t, nil, `rule source mac="52:54:00:12:34:56" accept`)), ruleset.Arrival{}, "",
			ruleset.CovUnknown, ruleset.CovUnknown, "MAC", "MAC"},
		{"destination that holds every host address", rulesetOf(zoneWith(t, nil, `rule family="ipv4" destination address="192.0.2.0/24" service name="imaps" accept`)),
			ruleset.Arrival{HostAddrs: hostAddrs("192.0.2.10")}, "", ruleset.CovOpen, ruleset.CovClosed, "destination", "zone target"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cov := ruleset.Judge(c.rs, imaps, both, c.arr, c.zone)
			for _, w := range []struct {
				fam   string
				state ruleset.CovState
				how   string
			}{{ruleset.IPv4, c.want4, c.how4}, {ruleset.IPv6, c.want6, c.how6}} {
				fc, _ := cov.Of(w.fam)
				if fc.State != w.state || !strings.Contains(fc.How+" "+fc.Note, w.how) {
					t.Errorf("%s: state %d %q %q, want %d with %q", w.fam, fc.State, fc.How, fc.Note, w.state, w.how)
				}
			}
		})
	}
}

func TestIPSetEntriesDecide(t *testing.T) {
	rs := rulesetOf(zoneWith(t, []string{"imaps"}, `rule source ipset="bad" drop`))
	rs.IPSets["bad"] = &ruleset.IPSet{Name: "bad", Type: "hash:net", Family: ruleset.IPv4, Entries: []string{"198.51.100.0/24", "203.0.113.7"}}
	fc, _ := ruleset.Judge(rs, imaps, []string{ruleset.IPv4}, ruleset.Arrival{}, "").Of(ruleset.IPv4)
	if fc.State != ruleset.CovExcept || !strings.Contains(fc.How, "198.51.100.0/24, 203.0.113.7") {
		t.Fatalf("got %d %q", fc.State, fc.How)
	}
	rs.IPSets["bad"].Type = "hash:ip,port"
	if fc, _ := ruleset.Judge(rs, imaps, []string{ruleset.IPv4}, ruleset.Arrival{}, "").Of(ruleset.IPv4); fc.State != ruleset.CovUnknown {
		t.Fatalf("an ipset type not judged must not be guessed: %d %q", fc.State, fc.How)
	}
}

// A family the host serves that is closed is CRITICAL; an unserved one is
// shown, not judged.
func TestServedFamilyClosedIsCritical(t *testing.T) {
	rs := rulesetOf(zoneWith(t, nil, `rule family="ipv6" service name="imaps" accept`))
	f := Facts{Runtime: rs, Permanent: rs, Families: []string{ruleset.IPv4, ruleset.IPv6}, Served: []string{ruleset.IPv4, ruleset.IPv6}}
	r := Evaluate(f, Policy{Requirements: []ruleset.Requirement{imaps}})
	if r.State() != plugin.Critical || !strings.Contains(r.Summary, "imaps IPv4 closed in runtime zone public") {
		t.Fatalf("%v %s", r.State(), evalText(r))
	}
	f.Served = []string{ruleset.IPv6}
	r = Evaluate(f, Policy{Requirements: []ruleset.Requirement{imaps}})
	if r.State() != plugin.OK || !strings.Contains(evalText(r), "IPv4 closed (not served)") {
		t.Fatalf("%v %s", r.State(), evalText(r))
	}
}

func TestPartialAdmissionStates(t *testing.T) {
	only := rulesetOf(zoneWith(t, nil, `rule family="ipv4" source address="203.0.113.0/24" service name="imaps" accept`))
	r := Evaluate(ipv4Facts(only, only), Policy{Requirements: []ruleset.Requirement{imaps}})
	if r.State() != plugin.Warning || !strings.Contains(evalText(r), "open only for 203.0.113.0/24") {
		t.Fatalf("%v %s", r.State(), evalText(r))
	}
	r = Evaluate(ipv4Facts(only, rulesetOf(zoneWith(t, nil))), Policy{Requirements: []ruleset.Requirement{imaps}})
	if r.State() != plugin.Warning || !strings.Contains(evalText(r), "after the next reload it is closed") {
		t.Fatalf("%v %s", r.State(), evalText(r))
	}
	except := rulesetOf(zoneWith(t, []string{"imaps"}, `rule priority="-1" family="ipv4" source address="10.0.0.0/8" reject`))
	r = Evaluate(ipv4Facts(except, except), Policy{Requirements: []ruleset.Requirement{imaps}})
	if r.State() != plugin.OK || !strings.Contains(evalText(r), "IPv4 open except for 10.0.0.0/8") {
		t.Fatalf("%v %s", r.State(), evalText(r))
	}
}

// Issue 9 "never a false OK": OK only when every fact spoken about was
// gathered, including contradictory ones.
func TestNeverAFalseOK(t *testing.T) {
	open := func() *ruleset.Ruleset { return rulesetOf(zoneWith(t, []string{"imaps"})) }
	missingZone := func() *ruleset.Ruleset { rs := open(); rs.Zones = map[string]*ruleset.Zone{}; return rs }
	cases := []struct {
		name  string
		facts Facts
	}{
		{"runtime errored", Facts{RuntimeErr: errText0("timeout"), Permanent: open()}},
		{"permanent errored", Facts{Runtime: open(), PermanentErr: errText0("EIO")}},
		{"both errored", Facts{RuntimeErr: errText0("x"), PermanentErr: errText0("y")}},
		{"zone at runtime, missing on disk", Facts{Runtime: open(), Permanent: missingZone(), Zone: "public"}},
		{"zone on disk, missing at runtime", Facts{Runtime: missingZone(), Permanent: open(), Zone: "public"}},
		{"no families judged", Facts{Runtime: open(), Permanent: open(), Families: []string{}, Served: []string{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.facts.Families == nil {
				c.facts.Families, c.facts.Served = []string{ruleset.IPv4}, []string{ruleset.IPv4}
			}
			r := Evaluate(c.facts, Policy{Requirements: []ruleset.Requirement{imaps}})
			if r.State() == plugin.OK {
				t.Fatalf("OK from partial facts:\n%s", evalText(r))
			}
		})
	}
}

type errText0 string

func (e errText0) Error() string { return string(e) }

func hostAddrs(addrs ...string) map[string][]netip.Addr {
	m := map[string][]netip.Addr{}
	for _, a := range addrs {
		ip := netip.MustParseAddr(a)
		fam := ruleset.IPv4
		if ip.Is6() {
			fam = ruleset.IPv6
		}
		m[fam] = append(m[fam], ip)
	}
	return m
}

// Policies to HOST run around the zone's rules (build_policy_chain_rules):
// priority < 0 before, >= 0 after the zone's rules and before its target.
func TestPoliciesAroundTheZone(t *testing.T) {
	policy := func(name string, prio int, target string, ingress []string, rules ...string) *ruleset.FwPolicy {
		z := zoneWith(t, nil, rules...)
		z.Name, z.Target = name, target
		return &ruleset.FwPolicy{Name: name, Priority: prio, Ingress: ingress, Egress: []string{"HOST"}, Set: z}
	}
	cases := []struct {
		name   string
		zone   *ruleset.Zone
		policy *ruleset.FwPolicy
		want   ruleset.CovState
		how    string
	}{
		{"pre policy rejects before the zone's service", zoneWith(t, []string{"imaps"}),
			policy("mailblock", -10, "CONTINUE", []string{"ANY"}, `rule service name="imaps" reject`), ruleset.CovClosed, "policy mailblock: rich rule"},
		{"pre policy target REJECT", zoneWith(t, []string{"imaps"}),
			policy("lockdown", -5, "REJECT", []string{"public"}), ruleset.CovClosed, "policy lockdown target REJECT"},
		{"post policy accepts what the zone lacks", zoneWith(t, nil),
			policy("mailopen", 10, "CONTINUE", []string{"ANY"}, `rule service name="imaps" accept`), ruleset.CovOpen, "policy mailopen"},
		{"post policy comes after the zone's service", zoneWith(t, []string{"imaps"}),
			policy("late", 10, "DROP", []string{"ANY"}), ruleset.CovOpen, "service imaps"},
		{"a policy for another ingress zone does not apply", zoneWith(t, []string{"imaps"}),
			policy("other", -10, "REJECT", []string{"internal"}), ruleset.CovOpen, "service imaps"},
		{"CONTINUE with nothing matching falls through", zoneWith(t, []string{"imaps"}),
			policy("noop", -10, "CONTINUE", []string{"ANY"}, `rule service name="ssh" reject`), ruleset.CovOpen, "service imaps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := rulesetOf(c.zone)
			rs.Policies = map[string]*ruleset.FwPolicy{c.policy.Name: c.policy}
			fc, _ := ruleset.Judge(rs, imaps, []string{ruleset.IPv4}, ruleset.Arrival{}, "").Of(ruleset.IPv4)
			if fc.State != c.want || !strings.Contains(fc.How, c.how) {
				t.Fatalf("state %d %q, want %d with %q", fc.State, fc.How, c.want, c.how)
			}
		})
	}
}

// A rule added to a policy without --permanent is drift, fixed per policy.
func TestPolicyDrift(t *testing.T) {
	mk := func(rules ...string) *ruleset.Ruleset {
		rs := rulesetOf(zoneWith(t, []string{"imaps"}))
		z := zoneWith(t, nil, rules...)
		z.Name, z.Target = "mailpol", "CONTINUE"
		rs.Policies = map[string]*ruleset.FwPolicy{"mailpol": {Name: "mailpol", Priority: -1, Ingress: []string{"ANY"}, Egress: []string{"HOST"}, Set: z}}
		return rs
	}
	rt, pm := mk(`rule service name="ssh" accept`), mk()
	pm.Policies["mailpol"].Priority = -5
	r := Evaluate(ipv4Facts(rt, pm), Policy{Requirements: []ruleset.Requirement{imaps}, Drift: plugin.Warning})
	all := evalText(r)
	if r.State() != plugin.Warning || !strings.Contains(all, "policy mailpol: rich rule rule service name=\"ssh\" accept is in runtime only") ||
		!strings.Contains(all, "firewall-cmd --permanent --policy=mailpol --add-rich-rule=") ||
		!strings.Contains(all, "policy mailpol: policy priority differs: runtime -1, permanent -5") ||
		!strings.Contains(all, "firewall-cmd --permanent --policy=mailpol --set-priority=<wanted>") {
		t.Fatalf("%v\n%s", r.State(), all)
	}
}
