package firewalld

import (
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
)

// viewStatus is a requirement in one view, over the served families: the
// worst family decides; "absent" when the view could not be read.
type viewStatus struct {
	known bool
	state ruleset.CovState
	bad   ruleset.FamilyCoverage // the worst served family
	cov   ruleset.Coverage
}

func statusOf(e *evaluation, rs *ruleset.Ruleset, req ruleset.Requirement) viewStatus {
	if rs == nil {
		return viewStatus{}
	}
	cov := e.judge(rs, req)
	st := viewStatus{known: true, cov: cov, state: ruleset.CovOpen}
	first := true
	for _, fc := range cov.Families {
		if !hasString(e.f.Served, fc.Family) {
			continue
		}
		if first || worse(fc.State, st.state) {
			st.state, st.bad, first = fc.State, fc, false
		}
	}
	return st
}

// judge is Judge for every family judged, once per view and requirement.
func (e *evaluation) judge(rs *ruleset.Ruleset, req ruleset.Requirement) ruleset.Coverage {
	if e.cache == nil {
		e.cache = map[*ruleset.Ruleset]map[string]ruleset.Coverage{}
	}
	m := e.cache[rs]
	if m == nil {
		m = map[string]ruleset.Coverage{}
		e.cache[rs] = m
	}
	if c, ok := m[req.Name]; ok {
		return c
	}
	c := ruleset.Judge(rs, req, e.f.Families, e.f.Arrival, e.f.Zone)
	m[req.Name] = c
	return c
}

// landedIn lists the zones clients of the served families land in.
func (e *evaluation) landedIn(rs *ruleset.Ruleset) []string {
	var out []string
	for _, req := range e.p.Requirements {
		for _, fc := range e.judge(rs, req).Families {
			if hasString(e.f.Served, fc.Family) {
				for _, z := range fc.Zones {
					out = appendUnique(out, z)
				}
			}
		}
	}
	return out
}

// worse orders states by what the operator must hear first; open except
// for some sources counts as open.
func worse(a, b ruleset.CovState) bool {
	rank := map[ruleset.CovState]int{ruleset.CovOpen: 0, ruleset.CovExcept: 0, ruleset.CovOnly: 1, ruleset.CovUnknown: 2, ruleset.CovClosed: 3}
	return rank[a] > rank[b]
}

func (s viewStatus) open() bool { return s.known && s.state <= ruleset.CovExcept }

// how says what opens the requirement, per family where they differ; extra
// holds partial admissions, notes and unserved families' states.
func (s viewStatus) how(served []string) (how, extra string) {
	var parts, extras []string
	hows := map[string]bool{}
	for _, fc := range s.cov.Families {
		if fc.Open() && fc.State == ruleset.CovOpen {
			hows[fc.How] = true
		}
	}
	for _, fc := range s.cov.Families {
		name := ruleset.FamilyName(fc.Family)
		switch {
		case !hasString(served, fc.Family):
			if !fc.Open() {
				extras = append(extras, name+" "+stateWord(fc)+" (not served)")
			}
		case fc.State == ruleset.CovExcept:
			extras = append(extras, name+" "+fc.How)
		case fc.State == ruleset.CovOpen && len(hows) > 1:
			parts = append(parts, name+": "+fc.How)
		case fc.State == ruleset.CovOpen:
			parts = appendUnique(parts, fc.How)
		}
		if fc.Note != "" && fc.Open() {
			extras = appendUnique(extras, fc.Note)
		}
	}
	if len(parts) == 0 {
		parts = append(parts, s.bad.How)
	}
	return strings.Join(parts, "; "), strings.Join(extras, ", ")
}

func stateWord(fc ruleset.FamilyCoverage) string {
	switch fc.State {
	case ruleset.CovClosed:
		return "closed"
	case ruleset.CovOnly:
		return fc.How
	case ruleset.CovUnknown:
		return "unknown"
	}
	return "open"
}

// zone is the zone the worst family landed in, for texts and fixes.
func (s viewStatus) zone(fallback string) string {
	if len(s.bad.Zones) > 0 {
		return s.bad.Zones[0]
	}
	if len(s.cov.Families) > 0 && len(s.cov.Families[0].Zones) > 0 {
		return s.cov.Families[0].Zones[0]
	}
	return fallback
}

// forFamily is " for IPv4" when the worst family is not the only one
// served the same way.
func (s viewStatus) forFamily(served []string) string {
	same := 0
	for _, fc := range s.cov.Families {
		if hasString(served, fc.Family) && fc.State == s.state {
			same++
		}
	}
	if len(served) > 1 && same == 1 {
		return " for " + ruleset.FamilyName(s.bad.Family)
	}
	return ""
}

// refusal names what refuses and, for a rich rule, how to remove it.
func (s viewStatus) refusal() (what, removeFix string) {
	how := s.bad.How
	if strings.HasPrefix(how, "rich rule '") && !strings.Contains(how, "', ") {
		rule := strings.TrimSuffix(strings.TrimPrefix(how, "rich rule '"), "'")
		return how, fmt.Sprintf("firewall-cmd --permanent --zone=%s --remove-rich-rule='%s' && firewall-cmd --reload", s.zone(""), rule)
	}
	return how, ""
}
