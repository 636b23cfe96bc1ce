package firewalld

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
)

// coveredByRequirement reports whether a drift item is about a required
// service or port, which the requirement findings already report.
func coveredByRequirement(item DriftItem, reqs []ruleset.Requirement) bool {
	for _, req := range reqs {
		switch item.Kind {
		case "service":
			if !req.IsPort() {
				for _, n := range req.Names() {
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
func addCommand(zone string, req ruleset.Requirement) string {
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
	case errors.Is(err, fwconfig.ErrNoSuchZone):
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

func viewSource(v *ruleset.Ruleset) string {
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

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return sortedCopy(out)
}

// hasString reports whether list holds s.
func hasString(list []string, s string) bool { return slices.Contains(list, s) }

// appendUnique appends s unless list holds it.
func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// sortedCopy returns a sorted copy of words, for stable output and diffs.
func sortedCopy(words []string) []string { return slices.Sorted(slices.Values(words)) }
