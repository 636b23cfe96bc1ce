package firewalld

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// Policy is what the operator asked for.
type Policy struct {
	Requirements []ruleset.Requirement
	// RequirementsErr is set when a required service could not be resolved
	// to ports; the check still reports what else it found.
	RequirementsErr error
	Drift           plugin.State // plugin.OK means --drift=ignore
}

// evaluation collects findings and the summary's problem phrases.
type evaluation struct {
	r        plugin.Result
	problems []string
	f        Facts
	p        Policy
	cache    map[*ruleset.Ruleset]map[string]ruleset.Coverage
}

func (e *evaluation) problem(s string) { e.problems = append(e.problems, s) }

// Evaluate judges the facts. It is pure: every state decision of
// check_firewalld_mail is made here. OK needs every view it speaks about:
// a view that could not be read is UNKNOWN unless something worse is known.
func Evaluate(f Facts, p Policy) plugin.Result {
	e := &evaluation{f: f, p: p}
	r := &e.r
	for _, rs := range []*ruleset.Ruleset{f.Runtime, f.Permanent} {
		if rs != nil {
			rs.ByIngressPriority = fwconfig.DispatchesByIngressPriority(f.Version)
		}
	}
	notRunning := errors.Is(f.RuntimeErr, ErrNotRunning)
	switch {
	case notRunning:
		r.Add(plugin.Critical, "firewalld is not running: its rules are gone until it starts again", "systemctl start firewalld")
		e.problem("firewalld is not running")
	case f.Runtime == nil:
		r.Add(plugin.Unknown, "cannot read the runtime config: "+errText(f.RuntimeErr), accessFix(f.RuntimeErr, true))
		e.problem("runtime config unreadable: " + errText(f.RuntimeErr))
	}
	if len(f.Served) == 0 {
		r.Add(plugin.Unknown, "no address family to judge", "pass --family ipv4, ipv6 or both")
		e.problem("no address family to judge")
	}
	if p.RequirementsErr != nil {
		msg := "cannot resolve what must be open: " + p.RequirementsErr.Error()
		r.Add(plugin.Unknown, msg, accessFix(p.RequirementsErr, false))
		e.problem(msg)
	}
	var refusal fwconfig.RefusedError
	switch {
	case f.Permanent == nil && errors.As(f.PermanentErr, &refusal):
		// firewalld refuses a file the verdict needs: its reload fails
		// (a ConfigProblem below says so), there is no view to judge.
		r.Detailf("permanent config not judged: firewalld refuses %s", errText(f.PermanentErr))
	case f.Permanent == nil:
		r.Add(plugin.Unknown, "cannot read the permanent config: "+errText(f.PermanentErr), accessFix(f.PermanentErr, false))
		e.problem("permanent config unreadable: " + errText(f.PermanentErr))
	}
	refused, unverified, oneRelease := 0, 0, 0
	for _, cp := range f.Problems {
		if cp.OnlyUnder != "" {
			// the version is unknown and the releases disagree: no verdict
			oneRelease++
			r.Add(plugin.Unknown, fmt.Sprintf("cannot tell whether the next reload succeeds: the firewalld version is unknown, and %s refuses %s (the other release accepts it): %s",
				cp.OnlyUnder, cp.Path, cp.Reason), "correct it, check with firewall-cmd --check-config")
			continue
		}
		if cp.Unverified {
			unverified++
			fix := "check it with firewall-cmd --check-config"
			if strings.HasPrefix(cp.Reason, "permission denied") {
				fix = accessFix(fs.ErrPermission, false)
			}
			r.Add(plugin.Unknown, "cannot tell whether the next reload succeeds: "+cp.Path+": "+cp.Reason, fix)
			continue
		}
		refused++
		r.Add(plugin.Warning, "the next reload fails; at the next restart firewalld falls back to its stock config: "+cp.Path+": "+cp.Reason,
			"correct it, check with firewall-cmd --check-config")
	}
	if refused > 0 {
		e.problem(fmt.Sprintf("%d permanent config file%s firewalld would refuse: the next reload fails", refused, plural(refused)))
	}
	if unverified > 0 {
		e.problem(fmt.Sprintf("%d permanent config file%s this check cannot read", unverified, plural(unverified)))
	}
	if oneRelease > 0 {
		e.problem(fmt.Sprintf("%d permanent config file%s only one firewalld release refuses (version unknown)", oneRelease, plural(oneRelease)))
	}

	counts := e.requirements(notRunning)
	e.zoneMismatch()
	driftCount := e.drift() + e.definitionDrift()

	if len(e.problems) == 0 {
		r.Summary = fmt.Sprintf("all %d required services and ports open in zone %s, runtime and permanent agree", len(p.Requirements), strings.Join(e.zones(), ", "))
	} else {
		r.Summary = strings.Join(e.problems, "; ")
	}
	e.details()

	r.Count("required", len(p.Requirements), "", "")
	r.Count("open_runtime", counts.runtime, "", "")
	r.Count("open_permanent", counts.permanent, "", "")
	r.Count("missing", counts.missing, "", "")
	r.Count("drift", driftCount, "", "")
	for _, fam := range f.Families {
		if f.Runtime != nil {
			r.Count("open_runtime_"+fam, counts.family[fam], "", "")
		}
	}
	return e.r
}

type openCounts struct {
	runtime, permanent, missing int
	family                      map[string]int
}

// requirements judges each requirement in both views.
func (e *evaluation) requirements(notRunning bool) openCounts {
	f, r := e.f, &e.r
	c := openCounts{family: map[string]int{}}
	var closed, runtimeOnly, notPersisted, partial, unknown []string
	closedZone := ""
	for _, req := range e.p.Requirements {
		rt, pm := statusOf(e, f.Runtime, req), statusOf(e, f.Permanent, req)
		for _, fc := range rt.cov.Families {
			if fc.Open() {
				c.family[fc.Family]++
			}
		}
		if rt.open() {
			c.runtime++
		}
		if pm.open() {
			c.permanent++
		}
		if !(rt.open() && pm.open()) {
			c.missing++
		}
		e.definitionGaps(req, rt.open(), pm.open())
		what := req.Describe()
		zone := rt.zone(pm.zone(f.defaultZone()))
		fixZone := zone
		if f.Zone != "" {
			fixZone = f.Zone // where mail should be opened; zoneMismatch says how clients get there
		}
		addFix := addCommand(fixZone, req)
		switch {
		case rt.known && rt.state == ruleset.CovClosed:
			refuser, removeFix := rt.refusal()
			if strings.HasPrefix(refuser, "zone target default") {
				refuser = "" // the zone simply lacks it
			} else {
				refuser = " (" + refuser + ")"
			}
			fix := addFix + " && firewall-cmd --reload"
			if removeFix != "" {
				fix = removeFix
			}
			fam := rt.forFamily(f.Served)
			switch {
			case pm.open():
				r.Add(plugin.Critical, fmt.Sprintf("%s is closed%s in runtime zone %s%s: clients cannot connect now; the permanent config has it (%s)",
					what, fam, zone, refuser, firstHow(pm, f.Served)), "firewall-cmd --reload")
			case pm.known:
				r.Add(plugin.Critical, fmt.Sprintf("%s is closed%s in runtime zone %s%s and in the permanent config", what, fam, zone, refuser), fix)
			default:
				r.Add(plugin.Critical, fmt.Sprintf("%s is closed%s in runtime zone %s%s; permanent not verified", what, fam, zone, refuser), fix)
			}
			closed = append(closed, req.Name+strings.TrimPrefix(fam, " for"))
			if closedZone == "" {
				closedZone = zone
			}
		case rt.known && rt.state == ruleset.CovUnknown:
			r.Add(plugin.Unknown, fmt.Sprintf("cannot tell whether %s is open%s in runtime zone %s: it %s", what, rt.forFamily(f.Served), zone, rt.bad.How),
				"check the ipset or rule named, e.g. firewall-cmd --info-ipset=NAME")
			unknown = append(unknown, req.Name)
		case rt.known && rt.state == ruleset.CovOnly:
			after := ""
			switch {
			case pm.known && pm.state == ruleset.CovClosed:
				after = "; after the next reload it is closed"
			case !pm.known:
				after = "; permanent not verified"
			}
			r.Add(plugin.Warning, fmt.Sprintf("%s in runtime zone %s is %s for %s: other clients are refused%s", what, zone, rt.bad.How, ruleset.FamilyName(rt.bad.Family), after), "")
			partial = append(partial, req.Name)
		case rt.open() && (pm.open() || !pm.known):
			how, extra := rt.how(f.Served)
			if pm.known {
				r.Add(plugin.OK, fmt.Sprintf("%s open in runtime and permanent (%s)%s", what, how, note(extra)), "")
			} else {
				r.Add(plugin.OK, fmt.Sprintf("%s open in runtime (%s)%s; permanent not verified", what, how, note(extra)), "")
			}
		case rt.open() && pm.state == ruleset.CovUnknown:
			r.Add(plugin.Unknown, fmt.Sprintf("%s is open in runtime; cannot tell whether the permanent config keeps it open: it %s", what, pm.bad.How), "")
			unknown = append(unknown, req.Name)
		case rt.open():
			how, _ := rt.how(f.Served)
			why := "it disappears at the next firewall-cmd --reload"
			if pm.state == ruleset.CovOnly {
				why = "after the next reload it is " + pm.bad.How + " only"
			}
			r.Add(plugin.Warning, fmt.Sprintf("%s is open in runtime only (%s): %s", what, how, why), addFix)
			runtimeOnly = append(runtimeOnly, req.Name)
		case pm.open():
			how, extra := pm.how(f.Served)
			if notRunning {
				r.Add(plugin.OK, fmt.Sprintf("%s is in the permanent config (%s)%s: it comes back when firewalld runs", what, how, note(extra)), "")
			} else {
				r.Add(plugin.OK, fmt.Sprintf("%s is in the permanent config (%s)%s; runtime not verified", what, how, note(extra)), "")
			}
		case pm.known && pm.state == ruleset.CovUnknown:
			r.Add(plugin.Unknown, fmt.Sprintf("cannot tell whether the permanent config opens %s: it %s", what, pm.bad.How), "")
			unknown = append(unknown, req.Name)
		case pm.known && notRunning:
			r.Add(plugin.Warning, fmt.Sprintf("%s is missing from the permanent config: it will not come back when firewalld starts", what), addFix)
			notPersisted = append(notPersisted, req.Name)
		case pm.known:
			r.Add(plugin.Warning, fmt.Sprintf("%s is missing from the permanent config: closed after the next reload; runtime not verified", what), addFix)
			notPersisted = append(notPersisted, req.Name)
		}
	}
	if len(closed) > 0 {
		e.problems = append([]string{fmt.Sprintf("%s closed in runtime zone %s: mail is down now", plugin.Join(closed), closedZone)}, e.problems...)
	}
	if len(partial) > 0 {
		e.problem(fmt.Sprintf("%s open only for some clients", plugin.Join(partial)))
	}
	if len(unknown) > 0 {
		e.problem(fmt.Sprintf("cannot tell whether %s open", plugin.Join(unknown)))
	}
	if len(runtimeOnly) > 0 {
		e.problem(fmt.Sprintf("%s open in runtime only: lost at the next firewall-cmd --reload", plugin.Join(runtimeOnly)))
	}
	if len(notPersisted) > 0 {
		e.problem(fmt.Sprintf("%s missing from the permanent config", plugin.Join(notPersisted)))
	}
	return c
}

func firstHow(s viewStatus, served []string) string {
	how, _ := s.how(served)
	return how
}

// defaultZone is the runtime default zone, else the permanent one.
func (f Facts) defaultZone() string {
	switch {
	case f.Zone != "":
		return f.Zone
	case f.Runtime != nil:
		return f.Runtime.DefaultZone
	case f.Permanent != nil:
		return f.Permanent.DefaultZone
	}
	return fwconfig.FallbackZone
}

// zones are the zones clients land in (runtime, else permanent), for the
// summary and for drift.
func (e *evaluation) zones() []string {
	var out []string
	for _, rs := range []*ruleset.Ruleset{e.f.Runtime, e.f.Permanent} {
		if rs != nil && len(out) == 0 {
			out = e.landedIn(rs)
		}
	}
	if len(out) == 0 {
		out = []string{e.f.defaultZone()}
	}
	return out
}

// details are the lines for -v: where the facts came from and what is not
// judged.
func (e *evaluation) details() {
	f, r := e.f, &e.r
	var fams []string
	for _, fam := range f.Served {
		fams = append(fams, ruleset.FamilyName(fam))
	}
	r.Detailf("families judged: %s (from %s)", strings.Join(fams, ", "), f.FamiliesFrom)
	for _, fam := range f.Families {
		if ifs := f.Arrival.Interfaces[fam]; len(ifs) > 0 {
			r.Detailf("%s clients arrive on %s (from %s)", ruleset.FamilyName(fam), strings.Join(ifs, ", "), f.ArrivalFrom)
		} else if f.Zone == "" {
			r.Detailf("%s: no interface known (from %s): judged in the default zone", ruleset.FamilyName(fam), f.ArrivalFrom)
		}
	}
	zone := strings.Join(e.zones(), ", ")
	if f.Runtime != nil {
		r.Detailf("zone %s: runtime from %s, permanent from %s (%s)", zone, f.Runtime.Source, viewSource(f.Permanent), f.Where)
	} else if f.Permanent != nil {
		r.Detailf("zone %s: permanent from %s (%s)", zone, f.Permanent.Source, f.Where)
	}
	if !f.Version.Known() {
		r.Detailf("%s", f.Version.Describe())
	} else {
		r.Debugf("%s", f.Version.Describe())
	}
	if f.Permanent != nil {
		for _, name := range sortedKeys(f.Permanent.Zones) {
			for _, s := range f.Permanent.Zones[name].Skipped {
				r.Detailf("zone %s: %s, so it is not judged: %s", name, skipsRule(f.Version), s)
			}
		}
	}
	e.bindingDetails()
	if len(f.Policies) > 0 {
		r.Detailf("the admin's policies (%s) are judged around the zones' rules where they go to HOST; runtime and permanent policies are not diffed", strings.Join(f.Policies, ", "))
	}
}

func debugRuleset(r *plugin.Result, name string, v *ruleset.Ruleset) {
	if v == nil {
		return
	}
	for _, zn := range sortedKeys(v.Zones) {
		z := v.Zones[zn]
		r.Debugf("%s (%s) zone %s: target %s, interfaces %v, sources %v, services %v, ports %v, protocols %v, %d rich rules",
			name, v.Source, zn, z.Target, z.Interfaces, z.Sources, z.Services, portStrings(z.Ports), z.Protocols, len(z.RichRules))
		for _, rule := range z.RichRules {
			r.Debugf("%s zone %s rich rule: %s", name, zn, rule.Text)
		}
	}
}

// skipsRule says what the host's firewalld does with a rich rule that
// fails Rich_Rule.check: 1.3 skips it, 2.x refuses the whole file (the
// reload fails: reported as a config problem).
func skipsRule(v fwconfig.FirewalldVersion) string {
	switch sets := v.RuleSets(); {
	case len(sets) > 1:
		return "firewalld 1.3 skips this rule when it loads the zone, 2.x refuses the zone file over it (the version is unknown)"
	case sets[0] == fwconfig.Rules2:
		return "firewalld " + v.Text + " refuses the zone file over this rule (the next reload fails)"
	}
	return "firewalld skips this rule when it loads the zone"
}
