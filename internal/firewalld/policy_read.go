package firewalld

import (
	"context"
	"strconv"
	"strings"

	"github.com/godbus/dbus/v5"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
)

// Reading the policies of the runtime view (the model, FwPolicy, and how
// the chains pass policies are in package ruleset).

// ifacePolicy is firewalld's runtime policy interface.
const ifacePolicy = "org.fedoraproject.FirewallD1.policy"

// runtimePolicies reads the active policies that go to HOST:
// getActivePolicies, then getPolicySettings for each of them.
func (s *DBusSource) runtimePolicies(ctx context.Context) (map[string]*ruleset.FwPolicy, error) {
	var active map[string]map[string][]string
	if err := s.call(ctx, ifacePolicy, "getActivePolicies", &active); err != nil {
		return nil, err
	}
	out := map[string]*ruleset.FwPolicy{}
	for name, dirs := range active {
		if !hasString(dirs["egress_zones"], "HOST") {
			continue
		}
		var settings map[string]dbus.Variant
		if err := s.call(ctx, ifacePolicy, "getPolicySettings", &settings, name); err != nil {
			return nil, err
		}
		p := &ruleset.FwPolicy{Name: name, Priority: -1, Ingress: dirs["ingress_zones"], Egress: dirs["egress_zones"]}
		if v, ok := settings["priority"].Value().(int32); ok {
			p.Priority = int(v)
		}
		z, err := zoneFromSettings(name, settings, "rich_rules")
		if err != nil {
			return nil, err
		}
		if z.Target == "default" {
			z.Target = "CONTINUE"
		}
		p.Set = z
		out[name] = p
	}
	return out, nil
}

// parseListAllPolicies reads `firewall-cmd --list-all-policies`
// (command.py print_policy_info): a --list-all per policy with priority,
// ingress-zones and egress-zones lines.
func parseListAllPolicies(out string) (map[string]*ruleset.FwPolicy, error) {
	policies := map[string]*ruleset.FwPolicy{}
	for _, block := range strings.Split(out, "\n\n") {
		if strings.TrimSpace(block) == "" {
			continue
		}
		z, err := ParseListAll(block)
		if err != nil {
			return nil, err
		}
		p := &ruleset.FwPolicy{Name: z.Name, Priority: -1, Set: &z}
		for _, line := range strings.Split(block, "\n") {
			key, value, _ := strings.Cut(strings.TrimSpace(line), ":")
			switch key {
			case "priority":
				if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil {
					p.Priority = n
				}
			case "ingress-zones":
				p.Ingress = strings.Fields(value)
			case "egress-zones":
				p.Egress = strings.Fields(value)
			}
		}
		policies[p.Name] = p
	}
	return policies, nil
}
