package fwconfig

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// confValues are the values firewalld_conf.read accepts per key, by
// release (compared lower-cased where firewalld lowers them); a key
// missing here is unknown to that release (logged and ignored), a key
// with no values takes any value.
var confValues = map[RuleSet]map[string][]string{
	Rules13: {
		"CleanupOnExit": yesNo, "CleanupModulesOnExit": yesNo, "Lockdown": yesNo, "IPv6_rpfilter": yesNo,
		"IndividualCalls": yesNo, "FlushAllOnReload": yesNo, "RFC3964_IPv4": yesNo, "AllowZoneDrifting": yesNo,
		"LogDenied":        {"all", "unicast", "broadcast", "multicast", "off"},
		"AutomaticHelpers": {"yes", "no", "system"}, "FirewallBackend": {"nftables", "iptables"},
		"DefaultZone": nil, "MinimalMark": nil,
	},
	// 2.x (config/__init__.py, firewalld_conf.valid_keys): IPv6_rpfilter
	// takes loose and the -forward modes, ReloadPolicy and the Nftables*
	// and StrictForwardPorts keys are new; Lockdown is read but has no
	// effect any more (see confWarning).
	Rules2: {
		"CleanupOnExit": yesNo, "CleanupModulesOnExit": yesNo, "Lockdown": nil,
		"IPv6_rpfilter":   {"yes", "true", "no", "false", "strict", "loose", "loose-forward", "strict-forward"},
		"IndividualCalls": yesNo, "FlushAllOnReload": yesNo, "RFC3964_IPv4": yesNo, "AllowZoneDrifting": yesNo,
		"LogDenied":        {"all", "unicast", "broadcast", "multicast", "off"},
		"AutomaticHelpers": {"yes", "no", "system"}, "FirewallBackend": {"nftables", "iptables"},
		"DefaultZone": nil, "MinimalMark": nil, "ReloadPolicy": nil,
		"NftablesFlowtable": nil, "NftablesCounters": nil, "NftablesTableOwner": nil, "StrictForwardPorts": nil,
	},
}

var yesNo = []string{"yes", "true", "no", "false"}

// ConfigWarnings lists what firewalld accepts but replaces when it loads
// the configuration, so that the running firewall is not what the files
// say: a firewalld.conf line it ignores or a value it swaps for its
// default (core/io/firewalld_conf.py read logs each and goes on), and a
// DefaultZone naming no zone (core/fw.py _start_check then uses public,
// external or block). firewall-cmd --check-config passes on all of them.
// Each release of v has its own keys; with the version unknown a line only
// one release warns about names it.
func ConfigWarnings(d Dirs, files []remote.File, v FirewalldVersion) []ConfigProblem {
	confPath := filepath.Join(d.ConfigDir, "firewalld.conf")
	conf, zones := ConfAndZones(d, files)
	if conf == nil {
		return nil // missing: firewalld uses its defaults, as intended
	}
	sets := v.RuleSets()
	var out []ConfigProblem
	count := map[string]int{}
	var order []string
	for _, rules := range sets {
		defaultZone, warnings := readFirewalldConf(conf.Data, rules)
		if !zones[defaultZone] {
			warnings = append(warnings, fmt.Sprintf("Default zone '%s' is not valid: firewalld uses zone %s instead", defaultZone, fallbackZone(zones)))
		}
		for _, w := range warnings {
			if count[w] == 0 {
				order = append(order, w)
			}
			count[w]++
		}
	}
	for _, w := range order {
		if count[w] < len(sets) {
			// only one release of an unknown version warns: say which
			for _, rules := range sets {
				if _, ws := readFirewalldConf(conf.Data, rules); slices.Contains(ws, w) {
					w += " (" + rules.String() + ")"
					break
				}
			}
		}
		out = append(out, ConfigProblem{Path: confPath, Reason: w})
	}
	return out
}

// ConfAndZones finds firewalld.conf (nil when missing or unreadable) and
// the names of the zone files of both trees.
func ConfAndZones(d Dirs, files []remote.File) (*remote.File, map[string]bool) {
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
func effectiveDefaultZone(d Dirs, files []remote.File, rules RuleSet) string {
	conf, zones := ConfAndZones(d, files)
	zone := FallbackZone
	if conf != nil {
		zone, _ = readFirewalldConf(conf.Data, rules)
	}
	if !zones[zone] {
		return fallbackZone(zones)
	}
	return zone
}

// confRefusal is what check_on_disk_config refuses in firewalld.conf:
// nothing in 1.3; in 2.x firewalld_conf.sanity_check raises for
// IPv6_rpfilter=loose-forward or strict-forward with
// FirewallBackend=iptables (compared as written, after read has accepted
// both values case-insensitively), which fails --check-config and the
// reload (fw.py _start_load_firewalld_conf instead falls back to the
// default settings, DefaultZone included, at a start).
func confRefusal(d Dirs, files []remote.File, rules RuleSet) string {
	conf, _ := ConfAndZones(d, files)
	if conf == nil || rules != Rules2 {
		return ""
	}
	values, _ := readConfValues(conf.Data, rules)
	if rp := values["IPv6_rpfilter"]; values["FirewallBackend"] == "iptables" && (rp == "loose-forward" || rp == "strict-forward") {
		return fmt.Sprintf("INVALID_VALUE: '%s': IPv6_rpfilter=%s is incompatible with FirewallBackend=iptables. This is a limitation of the iptables backend.",
			conf.Path, rp)
	}
	return ""
}

// readFirewalldConf is firewalld_conf.read: the DefaultZone it settles on
// and a line for everything it logs and ignores or replaces.
func readFirewalldConf(data []byte, rules RuleSet) (defaultZone string, warnings []string) {
	values, warnings := readConfValues(data, rules)
	defaultZone = FallbackZone
	if z, ok := values["DefaultZone"]; ok {
		defaultZone = z
	}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		if w := confWarning(key, values[key], rules); w != "" {
			warnings = append(warnings, w)
		}
	}
	if rules == Rules2 {
		if rp := values["IPv6_rpfilter"]; values["FirewallBackend"] == "iptables" && (rp == "loose-forward" || rp == "strict-forward") {
			// sanity_check raised: _start_load_firewalld_conf keeps none of the file
			defaultZone = FallbackZone
		}
	}
	return defaultZone, warnings
}

// readConfValues is read's line loop: the first value of each key it
// knows, and a warning for each line it ignores.
func readConfValues(data []byte, rules RuleSet) (map[string]string, []string) {
	values := map[string]string{}
	var warnings []string
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
		_, known := confValues[rules][key]
		_, seen := values[key]
		switch {
		case !known:
			warn("Invalid option: '%s' (%s ignores the line)", line, rules)
		case value == "":
			warn("Missing value: '%s' (firewalld ignores the line)", line)
		case seen:
			warn("Duplicate option definition: '%s' (firewalld ignores the line)", line)
		default:
			values[key] = value
		}
	}
	return values, warnings
}

// confWarning is read's check of one value it keeps.
func confWarning(key, value string, rules RuleSet) string {
	allowed := confValues[rules][key]
	switch {
	case key == "MinimalMark":
		if _, ok := pyInt(value); !ok {
			return fmt.Sprintf("MinimalMark '%s' is not valid, firewalld uses its default", value)
		}
	case key == "Lockdown" && rules == Rules2:
		if v := strings.ToLower(value); v != "no" && v != "false" {
			return fmt.Sprintf("Lockdown '%s': %s has no lockdown any more (the option is deprecated and has no effect)", value, rules)
		}
	case key == "ReloadPolicy":
		if !reloadPolicyOK(value) {
			return fmt.Sprintf("ReloadPolicy '%s' is not valid, firewalld uses its default INPUT:DROP,FORWARD:DROP,OUTPUT:DROP", value)
		}
	case len(allowed) > 0:
		v := value
		if key != "LogDenied" {
			v = strings.ToLower(v)
		}
		if !slices.Contains(allowed, v) {
			return fmt.Sprintf("%s '%s' is not valid, firewalld uses its default", key, value)
		}
	}
	return ""
}

// reloadPolicyOK is firewalld_conf._parse_reload_policy (2.x): ACCEPT,
// REJECT or DROP for all chains, or CHAIN:POLICY pairs (':' or '=')
// separated by ',' or ';' for INPUT, FORWARD and OUTPUT.
func reloadPolicyOK(value string) bool {
	value = strings.TrimSpace(value)
	policies := []string{"ACCEPT", "REJECT", "DROP"}
	if slices.Contains(policies, strings.ToUpper(value)) {
		return true
	}
	for _, a := range strings.Split(strings.ReplaceAll(value, ";", ","), ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		kv := strings.SplitN(strings.ReplaceAll(a, "=", ":"), ":", 3)
		if len(kv) != 2 || !slices.Contains([]string{"INPUT", "FORWARD", "OUTPUT"}, strings.ToUpper(strings.TrimSpace(kv[0]))) ||
			!slices.Contains(policies, strings.ToUpper(strings.TrimSpace(kv[1]))) {
			return false
		}
	}
	return true
}

// FlushAllOnReload is firewalld.conf's FlushAllOnReload as
// core/io/firewalld_conf.py reads it and core/fw.py applies it: only "no"
// or "false" (any case) keep the runtime bindings; a missing, empty or
// invalid value is the fallback, yes.
func FlushAllOnReload(conf []byte, rules RuleSet) bool {
	values, _ := readConfValues(conf, rules)
	switch strings.ToLower(values["FlushAllOnReload"]) {
	case "no", "false":
		return false
	}
	return true
}
