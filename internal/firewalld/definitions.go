package firewalld

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// definitionGap is the first port of a required service that the view's
// definition of it no longer opens ("993/tcp"), with where that
// definition comes from; "" when every port is opened or the view has no
// definition of the service (a zone then cannot name it).
func definitionGap(rs *ruleset.Ruleset, req ruleset.Requirement) (name, port, from string) {
	if rs == nil || req.IsPort() {
		return "", "", ""
	}
	for _, n := range req.Names() {
		def, ok := rs.Services[n]
		if !ok {
			continue
		}
		for _, p := range req.Ports {
			if !definitionOpens(def, p) {
				return n, p.String(), def.Path
			}
		}
	}
	return "", "", ""
}

func definitionOpens(def ruleset.Service, p ruleset.Port) bool {
	for _, q := range def.Ports {
		if q.Covers(p) {
			return true
		}
	}
	for _, proto := range def.Protocols {
		if ruleset.ProtocolIs(proto, p.Protocol) {
			return true
		}
	}
	return false
}

// definitionGaps reports a required service whose definition no longer
// opens the protocol's port where that leaves the requirement closed:
// CRITICAL when the runtime is closed by it (mail is refused now), a
// WARNING when only the file the next reload applies drops it.
func (e *evaluation) definitionGaps(req ruleset.Requirement, runtimeOpen, permanentOpen bool) {
	f := e.f
	if name, port, from := definitionGap(f.Runtime, req); name != "" && !runtimeOpen {
		if pd, ok := f.Permanent.DefinitionOf(name); ok && from == "" && describeService(pd) == describeService(f.Runtime.Services[name]) {
			from = pd.Path // the file firewalld loaded it from
		}
		where := from
		if where == "" {
			where = "the runtime definition (firewall-cmd --info-service=" + name + ")"
		}
		e.r.Add(plugin.Critical, fmt.Sprintf("service %s no longer opens %s: %s", name, port, where), restoreFix(name, port, from))
		e.problem(fmt.Sprintf("service %s no longer opens %s", name, port))
		return
	}
	if name, port, from := definitionGap(f.Permanent, req); name != "" && !permanentOpen {
		e.r.Add(plugin.Warning, fmt.Sprintf("service %s no longer opens %s after the next reload: %s", name, port, from), restoreFix(name, port, from))
		e.problem(fmt.Sprintf("service %s no longer opens %s after the next reload", name, port))
	}
}

func restoreFix(name, port, path string) string {
	if path == "" {
		return "firewall-cmd --reload (restores the definition from the files)"
	}
	return fmt.Sprintf("restore %s in %s, or remove the file to use the package's definition; then firewall-cmd --reload", port, path)
}

// definitionDrift reports services, ipsets and policies whose definition
// differs between the views (a file changed on disk and not reloaded, or
// a runtime-only --new-service/--service=X --add-port): the next reload
// changes what they open or match. Required services are judged per view
// already (definitionGaps); this names the others the zones use.
func (e *evaluation) definitionDrift() int {
	f, r := e.f, &e.r
	if f.Runtime == nil || f.Permanent == nil || e.p.Drift == plugin.OK {
		return 0
	}
	count := 0
	report := func(kind, name, rt, pm, path string) {
		count++
		fix := "to apply the file: firewall-cmd --reload"
		if path == "" {
			fix = "to keep the runtime one: firewall-cmd --runtime-to-permanent (it also persists runtime-only rules, Fail2ban's bans among them); to drop it: firewall-cmd --reload"
		}
		r.Add(e.p.Drift, fmt.Sprintf("%s %s differs: runtime %s, permanent %s%s", kind, name, rt, pm, pathNote(path)), fix)
	}
	for _, name := range sortedKeys(f.Runtime.Services) {
		rd := f.Runtime.Services[name]
		pd, ok := f.Permanent.Services[name]
		if !ok {
			if _, failed := f.Permanent.ServiceErrs[name]; !failed {
				report("service", name, describeService(rd), "(none)", "")
			}
			continue
		}
		if describeService(rd) != describeService(pd) {
			report("service", name, describeService(rd), describeService(pd), pd.Path)
		}
	}
	for _, name := range sortedKeys(f.Runtime.IPSets) {
		rs, ps := f.Runtime.IPSets[name], f.Permanent.IPSets[name]
		if rs != nil && ps != nil && describeIPSet(rs) != describeIPSet(ps) {
			report("ipset", name, describeIPSet(rs), describeIPSet(ps), "")
		}
	}
	if count > 0 {
		e.problem(fmt.Sprintf("%d definition%s differ between runtime and permanent", count, plural(count)))
	}
	return count
}

func pathNote(path string) string {
	if path == "" {
		return ""
	}
	return " (" + path + ")"
}

// describeService is a definition's ports and protocols, sorted.
func describeService(s ruleset.Service) string {
	var parts []string
	for _, p := range s.Ports {
		parts = appendUnique(parts, p.String())
	}
	for _, p := range s.Protocols {
		parts = appendUnique(parts, p)
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return "(nothing)"
	}
	return strings.Join(parts, " ")
}

func describeIPSet(s *ruleset.IPSet) string {
	entries := slices.Clone(s.Entries)
	slices.Sort(entries)
	return fmt.Sprintf("%s %d entries [%s]", s.Type, len(entries), firstEntries(entries, 3))
}

func firstEntries(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, " ")
	}
	return strings.Join(list[:n], " ") + " …"
}
