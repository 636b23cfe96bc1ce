package firewalld

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// cliRuntime reads the runtime ruleset with firewall-cmd, for hosts where
// the monitoring user may run it through sudo but may not talk to
// firewalld over D-Bus, and for remote hosts: `--list-all` (the default
// zone, named on its first line), `--get-active-zones` (the zones with
// bindings) and one `--zone=Z --list-all` per other active zone (usually
// none) and for --zone when it is none of these. An ipset a
// rule names costs one `--info-ipset` more. Service definitions are not in
// the output: the caller takes them from the files.
func cliRuntime(ctx context.Context, host remote.Host, firewallCmd, explicit string) (*ruleset.Ruleset, error) {
	rs := &ruleset.Ruleset{Source: "firewall-cmd", Zones: map[string]*ruleset.Zone{}, Services: map[string]ruleset.Service{}, IPSets: map[string]*ruleset.IPSet{}}
	listZone := func(args ...string) (*ruleset.Zone, error) {
		out, err := runFirewallCmd(ctx, host, firewallCmd, args...)
		if err != nil {
			return nil, err
		}
		z, err := ParseListAll(out)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %v", firewallCmd, strings.Join(args, " "), err)
		}
		rs.Zones[z.Name] = &z
		return &z, nil
	}
	// Clients land where the bindings send them, --zone or not: the
	// default zone and every active zone are read; --zone names one more
	// when it is neither.
	def, err := listZone("--list-all")
	if err != nil {
		return nil, err
	}
	rs.DefaultZone = def.Name
	out, err := runFirewallCmd(ctx, host, firewallCmd, "--get-active-zones")
	if err != nil {
		return nil, err
	}
	for _, name := range parseActiveZones(out) {
		if _, have := rs.Zones[name]; have {
			continue
		}
		if _, err := listZone("--zone="+name, "--list-all"); err != nil {
			return nil, err
		}
	}
	if _, have := rs.Zones[explicit]; explicit != "" && !have {
		// A zone missing at runtime is judged (closed now) next to the
		// permanent view, as over D-Bus.
		if _, err := listZone("--zone="+explicit, "--list-all"); err != nil && !errors.Is(err, fwconfig.ErrNoSuchZone) {
			return nil, err
		}
	}
	for _, name := range referencedIPSets(rs) {
		text, err := runFirewallCmd(ctx, host, firewallCmd, "--info-ipset="+name)
		if err != nil {
			rs.IPSets[name] = nil
			continue
		}
		rs.IPSets[name] = parseIPSetInfo(name, text)
	}
	return rs, nil
}

// parseActiveZones reads `firewall-cmd --get-active-zones`: a zone name on
// each unindented line, its bindings indented below.
func parseActiveZones(out string) []string {
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if name, _, _ := strings.Cut(strings.TrimSpace(line), " "); validZoneName(name) {
			names = append(names, name)
		}
	}
	return names
}

// validZoneName is what firewalld allows in a zone name (and what the
// sudo rule in contrib/sudoers.d matches), so nothing else reaches a
// command line.
func validZoneName(name string) bool {
	if name == "" || len(name) > 17 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// runFirewallCmd runs firewall-cmd with args and maps its complaints onto
// this package's errors.
func runFirewallCmd(ctx context.Context, host remote.Host, path string, args ...string) (string, error) {
	res, err := host.Run(ctx, append([]string{path}, args...))
	what := path + " " + strings.Join(args, " ")
	if err != nil {
		return "", fmt.Errorf("%s: %v", what, err)
	}
	text := strings.TrimSpace(string(res.Stdout) + "\n" + string(res.Stderr))
	if res.ExitCode != 0 {
		switch {
		case strings.Contains(text, "FirewallD is not running") || strings.Contains(text, "NOT_RUNNING"):
			return "", ErrNotRunning
		case strings.Contains(text, "INVALID_ZONE"):
			return "", fmt.Errorf("%w: firewall-cmd says %s", fwconfig.ErrNoSuchZone, firstLine(text))
		case strings.Contains(text, "Authorization failed") || strings.Contains(text, "ACCESS_DENIED") ||
			strings.Contains(text, "NotAuthorized") || strings.Contains(text, "password is required"):
			return "", fmt.Errorf("%s: %w: %s", what, ErrAccessDenied, firstLine(text))
		case res.ExitCode < 0:
			return "", fmt.Errorf("%s: no exit status: %s", what, firstLine(text))
		}
		return "", fmt.Errorf("%s exited %d: %s", what, res.ExitCode, firstLine(text))
	}
	return string(res.Stdout), nil
}

// ParseListAll reads the output of `firewall-cmd --list-all`
// (command.py print_zone_policy_info). Rich rules come sorted by
// rich_rule_sorted_key there, not in the order they were added; the order
// only matters between rules of equal priority with different actions.
func ParseListAll(out string) (ruleset.Zone, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	// firewall-cmd may print a notice before the zone ("You're performing
	// an operation over default zone …" when the default zone is not
	// active): the zone's header is the first unindented line followed by
	// an indented one.
	for i := 0; i+1 < len(lines); i++ {
		if lines[i] != "" && !strings.HasPrefix(lines[i], " ") && strings.HasPrefix(lines[i+1], "  ") {
			lines = lines[i:]
			break
		}
	}
	if len(lines) < 2 || strings.HasPrefix(lines[0], " ") || strings.TrimSpace(lines[0]) == "" {
		return ruleset.Zone{}, fmt.Errorf("unexpected output (no zone header): %q", firstLine(out))
	}
	name, _, _ := strings.Cut(strings.TrimSpace(lines[0]), " ")
	z := ruleset.Zone{Name: name}
	seen := map[string]bool{}
	list := "" // the key whose entries follow on tab-indented lines
	for _, line := range lines[1:] {
		if list != "" && strings.HasPrefix(line, "\t") {
			text := strings.TrimSpace(line)
			switch list {
			case "rich rules":
				r, err := ruleset.ParseRichRule(text)
				if err != nil {
					return ruleset.Zone{}, err
				}
				z.RichRules = append(z.RichRules, r)
			case "forward-ports":
				f, err := parseForwardPort(text)
				if err != nil {
					return ruleset.Zone{}, err
				}
				z.ForwardPorts = append(z.ForwardPorts, f)
			}
			continue
		}
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		list = key
		seen[key] = true
		fields := strings.Fields(value)
		switch key {
		case "target":
			z.Target = strings.TrimSpace(value)
		case "ingress-priority": // 2.x only
			z.IngressPriority, _ = strconv.Atoi(strings.TrimSpace(value))
		case "services":
			z.Services = fields
		case "protocols":
			z.Protocols = fields
		case "interfaces":
			z.Interfaces = fields
		case "sources":
			z.Sources = fields
		case "ports", "source-ports":
			for _, f := range fields {
				p, err := ruleset.ParsePort(f)
				if err != nil {
					return ruleset.Zone{}, err
				}
				if key == "ports" {
					z.Ports = append(z.Ports, p)
				} else {
					z.SourcePorts = append(z.SourcePorts, p)
				}
			}
		}
	}
	for _, key := range []string{"target", "services", "ports", "rich rules"} {
		if !seen[key] {
			return ruleset.Zone{}, fmt.Errorf("unexpected output: no %q line", key)
		}
	}
	return z, nil
}

// parseForwardPort reads "port=993:proto=tcp:toport=10993:toaddr=" (an
// IPv6 to-addr holds colons, so it is cut off first).
func parseForwardPort(s string) (ruleset.ForwardPort, error) {
	head, addr, _ := strings.Cut(s, ":toaddr=")
	f := ruleset.ForwardPort{ToAddr: addr}
	for _, kv := range strings.Split(head, ":") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return ruleset.ForwardPort{}, fmt.Errorf("forward-port %q: want port=…:proto=…:toport=…:toaddr=…", s)
		}
		switch k {
		case "port":
			f.Port.Port = v
		case "proto":
			f.Port.Protocol = v
		case "toport":
			f.ToPort = v
		}
	}
	return f, nil
}

// parseIPSetInfo reads `firewall-cmd --info-ipset=NAME`
// (command.py print_ipset_info).
func parseIPSetInfo(name, out string) *ruleset.IPSet {
	set := &ruleset.IPSet{Name: name, Family: ruleset.IPv4}
	for _, line := range strings.Split(out, "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch key {
		case "type":
			set.Type = strings.TrimSpace(value)
		case "options":
			if strings.Contains(value, "family=inet6") {
				set.Family = ruleset.IPv6
			}
		case "entries":
			set.Entries = strings.Fields(value)
		}
	}
	return set
}

// referencedIPSets lists the ipsets that zone bindings and rich rules use.
func referencedIPSets(rs *ruleset.Ruleset) []string {
	var names []string
	for _, z := range rs.Zones {
		for _, s := range z.Sources {
			if strings.HasPrefix(s, "ipset:") {
				names = appendUnique(names, strings.TrimPrefix(s, "ipset:"))
			}
		}
		for _, r := range z.RichRules {
			if r.Source != nil && r.Source.Kind == "ipset" {
				names = appendUnique(names, r.Source.Value)
			}
		}
	}
	return sortedCopy(names)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
