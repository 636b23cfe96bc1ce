package firewalld

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// confValues are the values firewalld_conf.read accepts per key (compared
// lower-cased where firewalld lowers them); a key missing here takes any
// value.
var confValues = map[string][]string{
	"CleanupOnExit": {"yes", "true", "no", "false"}, "CleanupModulesOnExit": {"yes", "true", "no", "false"},
	"Lockdown": {"yes", "true", "no", "false"}, "IPv6_rpfilter": {"yes", "true", "no", "false"},
	"IndividualCalls": {"yes", "true", "no", "false"}, "FlushAllOnReload": {"yes", "true", "no", "false"},
	"RFC3964_IPv4": {"yes", "true", "no", "false"}, "AllowZoneDrifting": {"yes", "true", "no", "false"},
	"LogDenied":        {"all", "unicast", "broadcast", "multicast", "off"},
	"AutomaticHelpers": {"yes", "no", "system"}, "FirewallBackend": {"nftables", "iptables"},
}

// ConfigWarnings lists what firewalld accepts but replaces when it loads
// the configuration, so that the running firewall is not what the files
// say: a firewalld.conf line it ignores or a value it swaps for its
// default (core/io/firewalld_conf.py read logs each and goes on), and a
// DefaultZone naming no zone (core/fw.py _start_check then uses public,
// external or block). firewall-cmd --check-config passes on all of them.
func ConfigWarnings(d Dirs, files []remote.File) []ConfigProblem {
	confPath := filepath.Join(d.ConfigDir, "firewalld.conf")
	conf, zones := confAndZones(d, files)
	if conf == nil {
		return nil // missing: firewalld uses its defaults, as intended
	}
	var out []ConfigProblem
	defaultZone, warnings := readFirewalldConf(conf.Data)
	for _, w := range warnings {
		out = append(out, ConfigProblem{Path: confPath, Reason: w})
	}
	if !zones[defaultZone] {
		out = append(out, ConfigProblem{Path: confPath, Reason: fmt.Sprintf(
			"Default zone '%s' is not valid: firewalld uses zone %s instead", defaultZone, fallbackZone(zones))})
	}
	return out
}

// confAndZones finds firewalld.conf (nil when missing or unreadable) and
// the names of the zone files of both trees.
func confAndZones(d Dirs, files []remote.File) (*remote.File, map[string]bool) {
	confPath := filepath.Join(d.ConfigDir, "firewalld.conf")
	zones := map[string]bool{}
	var conf *remote.File
	for i, f := range files {
		if f.Path == confPath && f.Err == nil {
			conf = &files[i]
		}
		dir := filepath.Dir(f.Path)
		if strings.HasSuffix(f.Path, ".xml") && (dir == filepath.Join(d.ConfigDir, "zones") || dir == filepath.Join(d.DefaultDir, "zones")) {
			zones[strings.TrimSuffix(filepath.Base(f.Path), ".xml")] = true
		}
	}
	return conf, zones
}

// fallbackZone is core/fw.py _start_check's choice for an invalid DefaultZone.
func fallbackZone(zones map[string]bool) string {
	for _, z := range []string{"public", "external"} {
		if zones[z] {
			return z
		}
	}
	return "block"
}

// effectiveDefaultZone is the zone firewalld will use as its default.
func effectiveDefaultZone(d Dirs, files []remote.File) string {
	conf, zones := confAndZones(d, files)
	zone := FallbackZone
	if conf != nil {
		zone, _ = readFirewalldConf(conf.Data)
	}
	if !zones[zone] {
		return fallbackZone(zones)
	}
	return zone
}

// readFirewalldConf is firewalld_conf.read: the DefaultZone it settles on
// and a line for everything it logs and ignores or replaces.
func readFirewalldConf(data []byte) (defaultZone string, warnings []string) {
	seen := map[string]bool{}
	defaultZone = FallbackZone
	for n, line := range strings.Split(string(data), "\n") {
		warn := func(format string, args ...any) {
			warnings = append(warnings, fmt.Sprintf("line %d: ", n+1)+fmt.Sprintf(format, args...))
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		pair := strings.Split(line, "=")
		if len(pair) != 2 {
			warn("Invalid option definition: '%s' (firewalld ignores the line)", line)
			continue
		}
		key, value := strings.TrimSpace(pair[0]), strings.TrimSpace(pair[1])
		switch allowed, known := confValues[key]; {
		case !known && !xmlContains([]string{"DefaultZone", "MinimalMark"}, key):
			warn("Invalid option: '%s' (firewalld ignores the line)", line)
		case value == "":
			warn("Missing value: '%s' (firewalld ignores the line)", line)
		case seen[key]:
			warn("Duplicate option definition: '%s' (firewalld ignores the line)", line)
		case key == "DefaultZone":
			defaultZone = value
			seen[key] = true
		case key == "MinimalMark":
			seen[key] = true
			if _, ok := pyInt(value); !ok {
				warn("MinimalMark '%s' is not valid, firewalld uses its default", value)
			}
		default:
			seen[key] = true
			v := value
			if key != "LogDenied" {
				v = strings.ToLower(v)
			}
			if !xmlContains(allowed, v) {
				warn("%s '%s' is not valid, firewalld uses its default", key, value)
			}
		}
	}
	return defaultZone, warnings
}
