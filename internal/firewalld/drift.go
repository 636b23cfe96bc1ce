package firewalld

import (
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// DriftItem is one difference between runtime and permanent.
type DriftItem struct {
	Kind        string // "service", "port", "rich rule", "target"
	Value       string
	RuntimeOnly bool // present in runtime only (lost at the next reload)
}

// Describe is the finding text.
func (d DriftItem) Describe() string {
	switch d.Kind {
	case "target":
		return "zone target differs: " + d.Value
	case "default zone":
		return "default zone differs: " + d.Value
	case "priority":
		return "policy priority differs: " + d.Value
	case "ingress-priority":
		return "zone ingress-priority differs: " + d.Value + " (the next reload changes which zone catches clients first)"
	}
	if d.RuntimeOnly {
		return fmt.Sprintf("%s %s is in runtime only: it disappears at the next reload", d.Kind, d.Value)
	}
	return fmt.Sprintf("%s %s is in permanent only: it appears at the next reload", d.Kind, d.Value)
}

// Short is the summary form: "port 8080/tcp (runtime only)".
func (d DriftItem) Short() string {
	switch {
	case d.Kind == "zone":
		return "firewall-cmd --runtime-to-permanent would also persist Fail2ban's bans: recreate the zone with firewall-cmd --permanent --new-zone=" + d.Value + ", or reload to drop it"
	case d.Kind == "default zone":
		return "to keep the runtime one: firewall-cmd --set-default-zone=<zone> (runtime and permanent at once)"
	case d.Kind == "target" || d.Kind == "priority" || d.Kind == "ingress-priority":
		return d.Kind + " (" + d.Value + ")"
	case d.RuntimeOnly:
		return d.Kind + " " + d.Value + " (runtime only)"
	}
	return d.Kind + " " + d.Value + " (permanent only)"
}

// Fix gives both ways out: keep it, or drop it. zone is "policy:NAME"
// for an item of a policy.
func (d DriftItem) Fix(zone string) string {
	scope := "--zone=" + zone
	if name, ok := strings.CutPrefix(zone, "policy:"); ok {
		scope = "--policy=" + name
	}
	flag := map[string]string{"service": "service", "port": "port", "rich rule": "rich-rule", "interface": "interface",
		"source": "source", "protocol": "protocol", "source port": "source-port", "forward-port": "forward-port"}[d.Kind]
	value := d.Value
	if d.Kind == "rich rule" {
		value = "'" + value + "'"
	}
	switch {
	case d.Kind == "zone":
		return "firewall-cmd --runtime-to-permanent would also persist Fail2ban's bans: recreate the zone with firewall-cmd --permanent --new-zone=" + d.Value + ", or reload to drop it"
	case d.Kind == "default zone":
		return "to keep the runtime one: firewall-cmd --set-default-zone=<zone> (runtime and permanent at once)"
	case d.Kind == "target" || d.Kind == "priority" || d.Kind == "ingress-priority":
		return fmt.Sprintf("firewall-cmd --permanent %s --set-%s=<wanted> && firewall-cmd --reload", scope, d.Kind)
	case d.RuntimeOnly:
		return fmt.Sprintf("to keep it: firewall-cmd --permanent %s --add-%s=%s; to drop it: firewall-cmd %s --remove-%s=%s",
			scope, flag, value, scope, flag, value)
	default:
		return fmt.Sprintf("to apply it: firewall-cmd --reload; to drop it: firewall-cmd --permanent %s --remove-%s=%s",
			scope, flag, value)
	}
}

// Diff lists what differs between the runtime and permanent zone, except
// runtime-only ban rules (Fail2ban's, runtime-only by design), which it
// counts separately.
func Diff(runtime, permanent ruleset.Zone) (items []DriftItem, bans int) {
	if runtime.Target != permanent.Target {
		items = append(items, DriftItem{Kind: "target", Value: fmt.Sprintf("runtime %s, permanent %s", runtime.Target, permanent.Target)})
	}
	if runtime.IngressPriority != permanent.IngressPriority { // firewalld 2.x: zone dispatch order
		items = append(items, DriftItem{Kind: "ingress-priority", Value: fmt.Sprintf("runtime %d, permanent %d", runtime.IngressPriority, permanent.IngressPriority)})
	}
	items = append(items, diffStrings("service", runtime.Services, permanent.Services)...)

	rtPorts, pmPorts := portStrings(runtime.Ports), portStrings(permanent.Ports)
	items = append(items, diffStrings("port", rtPorts, pmPorts)...)
	items = append(items, diffStrings("protocol", runtime.Protocols, permanent.Protocols)...)
	items = append(items, diffStrings("source port", portStrings(runtime.SourcePorts), portStrings(permanent.SourcePorts))...)
	items = append(items, diffStrings("forward-port", forwardStrings(runtime.ForwardPorts), forwardStrings(permanent.ForwardPorts))...)
	items = append(items, diffStrings("interface", runtime.Interfaces, permanent.Interfaces)...)
	items = append(items, diffStrings("source", runtime.Sources, permanent.Sources)...)

	var rtRules, pmRules []string
	isBan := make(map[string]bool, len(runtime.RichRules))
	for _, r := range runtime.RichRules {
		rtRules = append(rtRules, r.Text)
		if _, seen := isBan[r.Text]; !seen { // the first of equal texts decides
			isBan[r.Text] = r.LooksLikeBan()
		}
	}
	for _, r := range permanent.RichRules {
		pmRules = append(pmRules, r.Text)
	}
	for _, item := range diffStrings("rich rule", rtRules, pmRules) {
		if item.RuntimeOnly && isBan[item.Value] {
			bans++
			continue
		}
		items = append(items, item)
	}
	return items, bans
}

func forwardStrings(fs []ruleset.ForwardPort) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.String()
	}
	return out
}

func portStrings(ports []ruleset.Port) []string {
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = p.String()
	}
	return out
}

func diffStrings(kind string, runtime, permanent []string) []DriftItem {
	inRuntime, inPermanent := set(runtime), set(permanent)
	var items []DriftItem
	for _, s := range sortedCopy(runtime) {
		if !inPermanent[s] {
			items = append(items, DriftItem{Kind: kind, Value: s, RuntimeOnly: true})
		}
	}
	for _, s := range sortedCopy(permanent) {
		if !inRuntime[s] {
			items = append(items, DriftItem{Kind: kind, Value: s})
		}
	}
	return items
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// drift reports differences between the views in the zones clients land
// in (either view) and in the default zone; requirement findings already
// cover the required services and ports.
func (e *evaluation) drift() int {
	f, p, r := e.f, e.p, &e.r
	if f.Runtime == nil || f.Permanent == nil {
		return 0
	}
	var items []DriftItem
	var zoneOf []string
	bans := 0
	if f.Zone == "" && f.Runtime.DefaultZone != f.Permanent.DefaultZone {
		items = append(items, DriftItem{Kind: "default zone", Value: fmt.Sprintf("runtime %s, permanent %s", f.Runtime.DefaultZone, f.Permanent.DefaultZone)})
		zoneOf = append(zoneOf, "")
	}
	names := e.landedIn(f.Runtime)
	for _, z := range e.landedIn(f.Permanent) {
		names = appendUnique(names, z)
	}
	if f.Zone != "" {
		names = appendUnique(names, f.Zone)
	}
	for _, name := range sortedCopy(names) {
		rz, rok := f.Runtime.Zones[name]
		pz, pok := f.Permanent.Zones[name]
		switch {
		case rok && pok:
			zi, zb := Diff(*rz, *pz)
			bans += zb
			for _, it := range zi {
				items = append(items, it)
				zoneOf = append(zoneOf, name)
			}
		case rok:
			items = append(items, DriftItem{Kind: "zone", Value: name, RuntimeOnly: true})
			zoneOf = append(zoneOf, name)
		case pok:
			items = append(items, DriftItem{Kind: "zone", Value: name})
			zoneOf = append(zoneOf, name)
		}
	}
	// Policies present in both views, as far as they reach the zones
	// clients land in (which policies are active differs by view, so
	// presence alone is not drift).
	for _, name := range sortedKeys(f.Runtime.Policies) {
		rp, pp := f.Runtime.Policies[name], f.Permanent.Policies[name]
		if rp == nil || pp == nil || !reaches(rp, names) && !reaches(pp, names) {
			continue
		}
		if rp.Priority != pp.Priority {
			items = append(items, DriftItem{Kind: "priority", Value: fmt.Sprintf("runtime %d, permanent %d", rp.Priority, pp.Priority)})
			zoneOf = append(zoneOf, "policy:"+name)
		}
		pi, pb := Diff(*rp.Set, *pp.Set)
		bans += pb
		for _, it := range pi {
			items = append(items, it)
			zoneOf = append(zoneOf, "policy:"+name)
		}
	}
	count := 0
	var drifted []string
	for i, item := range items {
		if coveredByRequirement(item, p.Requirements) {
			continue
		}
		count++
		if p.Drift == plugin.OK {
			r.Debugf("drift (ignored): %s", item.Describe())
			continue
		}
		text, fix := item.Describe(), item.Fix(zoneOf[i])
		if item.Kind == "interface" {
			text, fix = e.interfaceDrift(item, zoneOf[i])
		}
		if pol, ok := strings.CutPrefix(zoneOf[i], "policy:"); ok {
			text = "policy " + pol + ": " + text
		} else if zoneOf[i] != "" && len(names) > 1 && !strings.Contains(text, " zone "+zoneOf[i]) {
			text = "zone " + zoneOf[i] + ": " + text
		}
		r.Add(p.Drift, text, fix)
		if len(drifted) < 3 {
			drifted = append(drifted, item.Short())
		} else if len(drifted) == 3 {
			drifted = append(drifted, "more")
		}
	}
	if len(drifted) > 0 {
		e.problem("runtime and permanent differ: " + plugin.Join(drifted))
	}
	if bans > 0 {
		r.Detailf("%d runtime-only reject/drop rich rule%s for single sources (Fail2ban bans): not drift", bans, plural(bans))
	}
	return count
}

// reaches reports whether the policy applies to clients of any of zones.
func reaches(p *ruleset.FwPolicy, zones []string) bool {
	for _, z := range zones {
		if p.AppliesTo(z) {
			return true
		}
	}
	return false
}
