package firewalld

import (
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
)

// KeptBinding is an interface binding that the next reload re-applies
// although the permanent zone files do not hold it.
type KeptBinding struct {
	Interface, Zone string
	By              string // "NetworkManager profile \"mail\"", "FlushAllOnReload=no"
}

// afterReload is the permanent view with the interface bindings firewalld's
// reload() (core/fw.py, 1.3 and 2.x alike) gives: the zone files' bindings;
// then, with FlushAllOnReload=no, every runtime binding moved back into its
// zone (change_zone_of_interface; a zone the reload lost drops them); then
// NetworkManager's: each interface of an active, saved profile in the
// profile's connection.zone ("" = the default zone), a zone that does not
// exist restoring nothing (it iterates get_zones() + [""]). The default
// zone move of FlushAllOnReload=no (interfaces added to the old default
// zone follow it) is not modelled: runtime does not say how a binding was
// added. pm is not changed.
func afterReload(rt, pm *ruleset.Ruleset, nm NMFacts, flushAll bool) (*ruleset.Ruleset, []KeptBinding) {
	if pm == nil {
		return nil, nil
	}
	view := pm.ShallowCopy()
	view.Zones = make(map[string]*ruleset.Zone, len(pm.Zones))
	for name, z := range pm.Zones {
		c := *z
		c.Interfaces = append([]string(nil), z.Interfaces...)
		view.Zones[name] = &c
	}
	var kept []KeptBinding
	keep := func(iface, zone, by string) {
		if _, ok := view.Zones[zone]; !ok {
			return
		}
		for _, z := range view.Zones {
			z.Interfaces = removeString(z.Interfaces, iface)
		}
		view.Zones[zone].Interfaces = append(view.Zones[zone].Interfaces, iface)
		for i, k := range kept {
			if k.Interface == iface {
				kept = append(kept[:i], kept[i+1:]...)
				break
			}
		}
		if !hasString(pm.Zones[zone].Interfaces, iface) {
			kept = append(kept, KeptBinding{iface, zone, by})
		}
	}
	if !flushAll && rt != nil {
		for _, name := range sortedKeys(rt.Zones) {
			for _, iface := range rt.Zones[name].Interfaces {
				keep(iface, name, "FlushAllOnReload=no")
			}
		}
	}
	for _, iface := range sortedKeys(nm.Devices) {
		d, ok := nm.Restores(iface)
		if !ok {
			continue
		}
		zone := d.Zone
		if zone == "" {
			zone = view.DefaultZone
		}
		keep(iface, zone, fmt.Sprintf("NetworkManager profile %q", d.Profile))
	}
	return &view, kept
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// interfaceDrift says what becomes of a binding the reload does not keep,
// and the fix that matches who owns it: NetworkManager owns the zone of
// the interfaces it manages (firewall-cmd --permanent --add-interface
// would be overridden by its profile at the next reload).
func (e *evaluation) interfaceDrift(item DriftItem, zone string) (text, fix string) {
	text, fix = item.Describe(), item.Fix(zone)
	d, ok := e.f.NM.Restores(item.Value)
	if !ok {
		if nm := e.f.NM; item.RuntimeOnly && (!nm.Asked || nm.Err != nil) {
			text += " (unless NetworkManager manages " + item.Value + ": it could not be asked)"
		}
		return text, fix
	}
	nmZone := d.Zone
	if nmZone == "" {
		nmZone = "the default zone"
		if e.f.Permanent != nil {
			nmZone += " " + e.f.Permanent.DefaultZone
		}
	}
	profile := shellQuote(d.Profile)
	if item.RuntimeOnly {
		text = fmt.Sprintf("interface %s is in zone %s at runtime only: at the next reload NetworkManager's profile %s puts it in %s", item.Value, zone, profile, nmZone)
		fix = fmt.Sprintf("to keep it: nmcli connection modify %s connection.zone %s (firewalld asks NetworkManager at each reload); to drop it: firewall-cmd --reload", profile, zone)
		return text, fix
	}
	text = fmt.Sprintf("interface %s: NetworkManager's profile %s puts it in zone %s at the next reload", item.Value, profile, zone)
	fix = fmt.Sprintf("to apply it: firewall-cmd --reload; to keep the runtime zone: nmcli connection modify %s connection.zone <zone>", profile)
	return text, fix
}

// shellQuote quotes a profile name for a shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]{}~#!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// bindingDetails says, for -v, which bindings the reload keeps and what
// NetworkManager was asked.
func (e *evaluation) bindingDetails() {
	f, r := e.f, &e.r
	for _, k := range f.Kept {
		r.Detailf("interface %s stays in zone %s at the next reload (%s): not drift", k.Interface, k.Zone, k.By)
	}
	switch {
	case !f.NM.Asked:
		r.Detailf("NetworkManager not asked (no D-Bus): bindings it would re-apply at a reload are not known")
	case f.NM.Err != nil:
		r.Detailf("NetworkManager could not be asked: %v", f.NM.Err)
	case !f.NM.Running:
		r.Debugf("NetworkManager is not on the bus: no bindings of its own")
	}
}
