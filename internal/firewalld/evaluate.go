package firewalld

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// Facts is everything gather found out. A nil view comes with its error.
type Facts struct {
	Zone         string
	Runtime      *View
	RuntimeErr   error
	Permanent    *View
	PermanentErr error
}

// Policy is what the operator asked for.
type Policy struct {
	Requirements []Requirement
	// RequirementsErr is set when a required service could not be resolved
	// to ports; the check still reports what else it found.
	RequirementsErr error
	Drift           plugin.State // plugin.OK means --drift=ignore
}

// Evaluate judges the facts. It is pure: every state decision of
// check_firewalld_mail is made here.
func Evaluate(f Facts, p Policy) plugin.Result {
	var r plugin.Result
	var problems []string
	zone := f.Zone

	runtimeKnown, permanentKnown := f.Runtime != nil, f.Permanent != nil
	notRunning := errors.Is(f.RuntimeErr, ErrNotRunning)
	switch {
	case notRunning:
		r.Add(plugin.Critical, "firewalld is not running: its rules are gone until it starts again", "systemctl start firewalld")
		problems = append(problems, "firewalld is not running")
	case !runtimeKnown:
		r.Add(plugin.Unknown, "cannot read the runtime config: "+errText(f.RuntimeErr), accessFix(f.RuntimeErr, true))
		problems = append(problems, "runtime config unreadable: "+errText(f.RuntimeErr))
	}
	if p.RequirementsErr != nil {
		msg := "cannot resolve what must be open: " + p.RequirementsErr.Error()
		r.Add(plugin.Unknown, msg, accessFix(p.RequirementsErr, false))
		problems = append(problems, msg)
	}
	if !permanentKnown {
		r.Add(plugin.Unknown, "cannot read the permanent config: "+errText(f.PermanentErr), accessFix(f.PermanentErr, false))
		problems = append(problems, "permanent config unreadable: "+errText(f.PermanentErr))
	}

	var closed, runtimeOnly, notPersisted []string
	openRuntime, openPermanent, missing := 0, 0, 0
	for _, req := range p.Requirements {
		var rt, pm Coverage
		if runtimeKnown {
			rt = Cover(f.Runtime, req)
		}
		if permanentKnown {
			pm = Cover(f.Permanent, req)
		}
		if rt.Open {
			openRuntime++
		}
		if pm.Open {
			openPermanent++
		}
		if !(rt.Open && pm.Open) {
			missing++
		}
		what := req.Describe()
		addFix := addCommand(zone, req)
		switch {
		case runtimeKnown && rt.Open && (pm.Open || !permanentKnown):
			if permanentKnown {
				r.Add(plugin.OK, fmt.Sprintf("%s open in runtime and permanent (%s)%s", what, rt.How, note(rt.Note)), "")
			} else {
				r.Add(plugin.OK, fmt.Sprintf("%s open in runtime (%s)%s; permanent not verified", what, rt.How, note(rt.Note)), "")
			}
		case runtimeKnown && rt.Open:
			r.Add(plugin.Warning, fmt.Sprintf("%s is open in runtime only (%s): it disappears at the next firewall-cmd --reload", what, rt.How), addFix)
			runtimeOnly = append(runtimeOnly, req.Name)
		case runtimeKnown && pm.Open:
			r.Add(plugin.Critical, fmt.Sprintf("%s is closed in runtime zone %s: clients cannot connect now; the permanent config has it (%s)", what, zone, pm.How), "firewall-cmd --reload")
			closed = append(closed, req.Name)
		case runtimeKnown && permanentKnown:
			r.Add(plugin.Critical, fmt.Sprintf("%s is closed in runtime zone %s and missing from the permanent config", what, zone), addFix+" && firewall-cmd --reload")
			closed = append(closed, req.Name)
		case runtimeKnown:
			r.Add(plugin.Critical, fmt.Sprintf("%s is closed in runtime zone %s; permanent not verified", what, zone), addFix+" && firewall-cmd --reload")
			closed = append(closed, req.Name)
		case pm.Open && notRunning:
			r.Add(plugin.OK, fmt.Sprintf("%s is in the permanent config (%s): it comes back when firewalld runs", what, pm.How), "")
		case pm.Open: // runtime unreadable
			r.Add(plugin.OK, fmt.Sprintf("%s is in the permanent config (%s); runtime not verified", what, pm.How), "")
		case permanentKnown && notRunning:
			r.Add(plugin.Warning, fmt.Sprintf("%s is missing from the permanent config: it will not come back when firewalld starts", what), addFix)
			notPersisted = append(notPersisted, req.Name)
		case permanentKnown:
			r.Add(plugin.Warning, fmt.Sprintf("%s is missing from the permanent config: closed after the next reload; runtime not verified", what), addFix)
			notPersisted = append(notPersisted, req.Name)
		}
	}

	driftCount := 0
	var drifted []string // the first few, for the summary
	if runtimeKnown && permanentKnown {
		items, bans := Diff(f.Runtime.Zone, f.Permanent.Zone)
		for _, item := range items {
			if coveredByRequirement(item, p.Requirements) {
				continue // already judged above, with its own fix
			}
			driftCount++
			if p.Drift == plugin.OK {
				r.Debugf("drift (ignored): %s", item.Describe())
				continue
			}
			r.Add(p.Drift, item.Describe(), item.Fix(zone))
			if len(drifted) < 3 {
				drifted = append(drifted, item.Short())
			} else if len(drifted) == 3 {
				drifted = append(drifted, "more")
			}
		}
		if len(drifted) > 0 {
			problems = append(problems, "runtime and permanent differ: "+plugin.Join(drifted))
		}
		if bans > 0 {
			r.Detailf("%d runtime-only reject/drop rich rule%s for single sources (Fail2ban bans): not drift", bans, plural(bans))
		}
	}

	if len(closed) > 0 {
		problems = append([]string{fmt.Sprintf("%s closed in runtime zone %s: mail is down now", plugin.Join(closed), zone)}, problems...)
	}
	if len(runtimeOnly) > 0 {
		problems = append(problems, fmt.Sprintf("%s open in runtime only: lost at the next firewall-cmd --reload", plugin.Join(runtimeOnly)))
	}
	if len(notPersisted) > 0 {
		problems = append(problems, fmt.Sprintf("%s missing from the permanent config", plugin.Join(notPersisted)))
	}
	if len(problems) == 0 {
		r.Summary = fmt.Sprintf("all %d required services and ports open in zone %s, runtime and permanent agree", len(p.Requirements), zone)
	} else {
		r.Summary = strings.Join(problems, "; ")
	}

	if runtimeKnown {
		r.Detailf("zone %s: runtime from %s, permanent from %s", zone, f.Runtime.Source, viewSource(f.Permanent))
	} else if permanentKnown {
		r.Detailf("zone %s: permanent from %s", zone, f.Permanent.Source)
	}

	r.Count("required", len(p.Requirements), "", "")
	r.Count("open_runtime", openRuntime, "", "")
	r.Count("open_permanent", openPermanent, "", "")
	r.Count("missing", missing, "", "")
	r.Count("drift", driftCount, "", "")
	return r
}

// coveredByRequirement reports whether a drift item is about a required
// service or port, which the requirement findings already report.
func coveredByRequirement(item DriftItem, reqs []Requirement) bool {
	for _, req := range reqs {
		switch item.Kind {
		case "service":
			if !req.IsPort() {
				for _, n := range req.names() {
					if n == item.Value {
						return true
					}
				}
			}
		case "port":
			for _, p := range req.Ports {
				if p.String() == item.Value {
					return true
				}
			}
		}
	}
	return false
}

// addCommand is the permanent fix for a requirement. Never
// --runtime-to-permanent: it would also persist Fail2ban's runtime bans.
func addCommand(zone string, req Requirement) string {
	if req.IsPort() {
		return fmt.Sprintf("firewall-cmd --permanent --zone=%s --add-port=%s", zone, req.Name)
	}
	return fmt.Sprintf("firewall-cmd --permanent --zone=%s --add-service=%s", zone, req.Service)
}

// accessFix says how to let the monitoring user read what it could not.
func accessFix(err error, runtime bool) string {
	switch {
	case errors.Is(err, ErrAccessDenied):
		return "allow the monitoring user firewalld's read-only D-Bus actions (contrib/polkit), or use --runtime-source=cli with the sudo rule in contrib/sudoers.d"
	case errors.Is(err, fs.ErrPermission):
		return "run the check as root through the sudo rule in contrib/sudoers.d, or grant read access: setfacl -R -m u:nagios:rX /etc/firewalld && setfacl -R -d -m u:nagios:rX /etc/firewalld (the second keeps files firewalld writes later readable)"
	case errors.Is(err, ErrNoBus):
		return "is dbus running? check DBUS_SYSTEM_BUS_ADDRESS, or use --runtime-source=cli"
	case errors.Is(err, ErrNoSuchZone):
		return "list zones with firewall-cmd --get-zones and pass --zone"
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "no data"
	}
	return err.Error()
}

func viewSource(v *View) string {
	if v == nil {
		return "(unreadable)"
	}
	return v.Source
}

func note(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
