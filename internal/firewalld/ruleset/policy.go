package ruleset

import (
	"sort"
	"strings"
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
	// FromAdmin: the file is the admin's (config dir), not a stock one.
	FromAdmin bool
}

// AppliesTo reports whether the policy sees packets of clients that landed
// in zone and go to the host itself.
func (p *FwPolicy) AppliesTo(zone string) bool {
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
		if p != nil && p.AppliesTo(zone) {
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
				own: &ownEntry{kind: ownTarget}})
		}
		if p.Priority < 0 {
			pre = append(pre, ch...)
		} else {
			post = append(post, ch...)
		}
	}
	return pre, post
}
