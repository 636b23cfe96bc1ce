package firewalld

import (
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// --zone Z names the zone mail should be opened in, not the zone clients
// land in: the bindings decide that (zoneFor). When clients of a served
// family never reach Z, the check says which zone catches them and why,
// and how to send them to Z; the requirement findings judge the zone they
// really land in.

// landing is one zone that catches clients instead of --zone's.
type landing struct {
	zone   string
	family string
	by     string // "mail0 is bound to it", "its source 0.0.0.0/0", "the default zone"
	fix    string
}

// zoneMismatch reports, per view judged (runtime, else permanent), each
// served family whose clients land only in zones other than --zone's.
func (e *evaluation) zoneMismatch() {
	f := e.f
	rs := f.Runtime
	if rs == nil {
		rs = f.Permanent
	}
	if f.Zone == "" || rs == nil {
		return
	}
	var found []landing
	for _, req := range e.p.Requirements {
		for _, fc := range e.judge(rs, req).Families {
			if !hasString(f.Served, fc.Family) || len(fc.Zones) == 0 || hasString(fc.Zones, f.Zone) {
				continue
			}
			for _, z := range fc.Zones {
				l := e.landingOf(rs, z, fc.Family)
				dup := false
				for _, have := range found {
					dup = dup || have.zone == l.zone && have.by == l.by
				}
				if !dup {
					found = append(found, l)
				}
			}
		}
	}
	for _, l := range found {
		who := ruleset.FamilyName(l.family) + " clients"
		if ifs := f.Arrival.Interfaces[l.family]; len(ifs) > 0 && !strings.HasPrefix(l.by, "its source") {
			who = "clients on " + strings.Join(ifs, ", ")
		}
		e.r.Add(plugin.Warning, fmt.Sprintf("%s land in zone %s, not %s (--zone): %s", who, l.zone, f.Zone, l.by), l.fix)
		e.problem(fmt.Sprintf("%s land in zone %s, not %s", who, l.zone, f.Zone))
	}
}

// landingOf says why clients of family land in zone, and the fix that
// sends them to --zone's instead.
func (e *evaluation) landingOf(rs *ruleset.Ruleset, zone, family string) landing {
	want := e.f.Zone
	l := landing{zone: zone, family: family}
	z := rs.Zones[zone]
	if z != nil {
		for _, s := range z.Sources {
			if p, ok := ruleset.ParsePrefix(s); !ok || ruleset.PrefixFamily(p) == family {
				l.by = "its source " + s + " catches them before any interface's zone"
				l.fix = fmt.Sprintf("if they belong in %s: firewall-cmd --permanent --zone=%s --remove-source=%s && firewall-cmd --reload", want, zone, s)
				return l
			}
		}
		for _, iface := range e.f.Arrival.Interfaces[family] {
			if !hasString(z.Interfaces, iface) {
				continue
			}
			l.by = iface + " is bound to it"
			if d, ok := e.f.NM.Restores(iface); ok {
				l.by += fmt.Sprintf(" (NetworkManager profile %s)", shellQuote(d.Profile))
				l.fix = fmt.Sprintf("nmcli connection modify %s connection.zone %s", shellQuote(d.Profile), want)
			} else {
				l.fix = fmt.Sprintf("firewall-cmd --zone=%s --change-interface=%s && firewall-cmd --permanent --zone=%s --change-interface=%s", want, iface, want, iface)
			}
			return l
		}
	}
	if zone == rs.DefaultZone {
		l.by = "the default zone (no binding sends them elsewhere)"
		if ifs := e.f.Arrival.Interfaces[family]; len(ifs) > 0 {
			l.fix = fmt.Sprintf("firewall-cmd --zone=%s --change-interface=%s && firewall-cmd --permanent --zone=%s --change-interface=%s", want, ifs[0], want, ifs[0])
		} else {
			l.fix = "firewall-cmd --set-default-zone=" + want
		}
		return l
	}
	l.by = "a binding of that zone"
	return l
}
