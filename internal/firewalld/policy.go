package firewalld

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/godbus/dbus/v5"
)

// FwPolicy is a firewalld policy (io/policy.py): traffic from its ingress
// zones to its egress zones passes its rules. Only policies whose egress is
// HOST see mail clients' packets.
type FwPolicy struct {
	Name     string
	Priority int // DEFAULT_POLICY_PRIORITY is -1
	Ingress  []string
	Egress   []string
	// Set holds the policy's services, ports, protocols and rich rules;
	// Set.Target is the policy target: CONTINUE, ACCEPT, REJECT, DROP.
	Set *Zone
	// fromAdmin: the file is the admin's (config dir), not a stock one.
	fromAdmin bool
}

// appliesTo reports whether the policy sees packets of clients that landed
// in zone and go to the host itself.
func (p *FwPolicy) appliesTo(zone string) bool {
	return hasString(p.Egress, "HOST") && (hasString(p.Ingress, "ANY") || hasString(p.Ingress, zone))
}

// policyChains are the INPUT policies a client of zone passes, split as
// the zone chain calls them (build_policy_chain_rules): POLICIES_pre
// (priority < 0) before the zone's own rules, POLICIES_post after them and
// before the zone target; each in priority order (_policy_priority_fragment),
// equal priorities by name. A policy whose target is not CONTINUE ends its
// chain with that target.
func policyChains(rs *Ruleset, zone string, names []string) (pre, post []entry) {
	var list []*FwPolicy
	for _, p := range rs.Policies {
		if p != nil && p.appliesTo(zone) {
			list = append(list, p)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Priority != list[j].Priority {
			return list[i].Priority < list[j].Priority
		}
		return list[i].Name < list[j].Name
	})
	for _, p := range list {
		ch := filterChain(p.Set, names)
		for i := range ch {
			ch[i].how = "policy " + p.Name + ": " + ch[i].how
		}
		if t := strings.ToUpper(p.Set.Target); t == "ACCEPT" || t == "REJECT" || t == "DROP" {
			action := map[string]string{"ACCEPT": "accept", "REJECT": "reject", "DROP": "drop"}[t]
			ch = append(ch, entry{how: "policy " + p.Name + " target " + t, action: action,
				match: func(*Ruleset, client) (tri, string) { return yes, "" }})
		}
		if p.Priority < 0 {
			pre = append(pre, ch...)
		} else {
			post = append(post, ch...)
		}
	}
	return pre, post
}

// ifacePolicy is firewalld's runtime policy interface.
const ifacePolicy = "org.fedoraproject.FirewallD1.policy"

// runtimePolicies reads the active policies that go to HOST:
// getActivePolicies, then getPolicySettings for each of them.
func (s *DBusSource) runtimePolicies(ctx context.Context) (map[string]*FwPolicy, error) {
	var active map[string]map[string][]string
	if err := s.call(ctx, ifacePolicy, "getActivePolicies", &active); err != nil {
		return nil, err
	}
	out := map[string]*FwPolicy{}
	for name, dirs := range active {
		if !hasString(dirs["egress_zones"], "HOST") {
			continue
		}
		var settings map[string]dbus.Variant
		if err := s.call(ctx, ifacePolicy, "getPolicySettings", &settings, name); err != nil {
			return nil, err
		}
		p := &FwPolicy{Name: name, Priority: -1, Ingress: dirs["ingress_zones"], Egress: dirs["egress_zones"]}
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
func parseListAllPolicies(out string) (map[string]*FwPolicy, error) {
	policies := map[string]*FwPolicy{}
	for _, block := range strings.Split(out, "\n\n") {
		if strings.TrimSpace(block) == "" {
			continue
		}
		z, err := ParseListAll(block)
		if err != nil {
			return nil, err
		}
		p := &FwPolicy{Name: z.Name, Priority: -1, Set: &z}
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
