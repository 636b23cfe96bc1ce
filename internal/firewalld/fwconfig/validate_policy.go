package fwconfig

import (
	"fmt"
	"slices"
	"strings"
)

// checkPolicy is the rest of Policy._check_config (io/policy.py): target,
// masquerade, forward ports and the masquerade, forward-port and mark rich
// rules against the zone sets, priority, then the ingress/egress zone sets
// (the order of IMPORT_EXPORT_STRUCTURE).
func (c *Tree) checkPolicy(z *vZone) string {
	if !slices.Contains(policyTargets, z.target) {
		return fmt.Sprintf("INVALID_TARGET: Policy '%s': '%s' is invalid target", z.name, z.target)
	}
	if z.masquerade {
		if msg := c.policyMasquerade(z); msg != "" {
			return msg
		}
	}
	for _, f := range z.forwardPorts {
		if msg := c.policyForward(z, f[3]); msg != "" {
			return msg
		}
	}
	for _, r := range z.rules {
		var msg string
		switch e := r.element; {
		case e != nil && e.kind == "masquerade":
			msg = c.policyMasquerade(z)
		case e != nil && e.kind == "forward-port":
			msg = c.policyForward(z, e.get("to-addr"))
		case r.action != nil && r.action.kind == "mark":
			msg = c.policyEgressInterfaces(z, "'mark' action")
		}
		if msg != "" {
			return msg
		}
	}
	// 1.3's export_config_dict leaves a priority of 0 out (falsy), so only
	// 2.x, which exports ints, refuses the reserved 0
	if (z.priority == 0 && c.V2) || z.priority > 32767 || z.priority < -32768 {
		return fmt.Sprintf("INVALID_PRIORITY: Policy '%s': %d is invalid priority. Must be in range [-32768, 32767]. The following are reserved: [0]", z.name, z.priority)
	}
	for _, set := range []struct {
		item        string
		zones, peer []string
	}{{"ingress_zones", z.ingress, z.egress}, {"egress_zones", z.egress, z.ingress}} {
		special := slices.Contains(set.zones, "ANY") || slices.Contains(set.zones, "HOST")
		for _, name := range set.zones {
			if name != "ANY" && name != "HOST" && !c.exists("zones", name) {
				return fmt.Sprintf("INVALID_ZONE: Policy '%s': '%s' not among existing zones", z.name, name)
			}
			if special && len(set.zones) > 1 {
				return fmt.Sprintf("INVALID_ZONE: Policy '%s': '%s' may only contain one of: many regular zones, ANY, or HOST", z.name, set.item)
			}
			if name == "HOST" && slices.Contains(set.peer, "HOST") {
				return fmt.Sprintf("INVALID_ZONE: Policy '%s': 'HOST' can only appear in either ingress or egress zones, but not both", z.name)
			}
		}
	}
	return ""
}

// policyMasquerade: masquerade needs traffic that leaves the host, and
// (with the iptables backend) ingress zones without interfaces. The same
// in 1.3 and 2.x.
func (c *Tree) policyMasquerade(z *vZone) string {
	switch {
	case slices.Contains(z.egress, "HOST"):
		return fmt.Sprintf("INVALID_ZONE: Policy '%s': 'masquerade' is invalid for egress zone 'HOST'", z.name)
	case slices.Contains(z.ingress, "HOST"):
		return fmt.Sprintf("INVALID_ZONE: Policy '%s': 'masquerade' is invalid for ingress zone 'HOST'", z.name)
	}
	for _, name := range z.ingress {
		if name == "ANY" {
			continue
		}
		if !c.exists("zones", name) {
			return fmt.Sprintf("INVALID_ZONE: Policy '%s': Zone '%s' does not exist.", z.name, name)
		}
		if c.backend != "nftables" && c.zoneHasInterfaces(name) {
			return fmt.Sprintf("INVALID_ZONE: Policy '%s': 'masquerade' cannot be used because ingress zone '%s' has assigned interfaces. ", z.name, name)
		}
	}
	return ""
}

// policyForward is a forward port's check against the egress zones. 1.3
// refuses a to-addr when egress is HOST; 2.x allows it (a port forward
// to another address from the host) and checks the regular egress zones
// even beside HOST or ANY.
func (c *Tree) policyForward(z *vZone, toAddr string) string {
	if len(z.egress) == 0 {
		return ""
	}
	host := slices.Contains(z.egress, "HOST")
	switch {
	case host && !c.V2:
		if toAddr != "" {
			return fmt.Sprintf("INVALID_FORWARD: Policy '%s': A 'forward-port' with 'to-addr' is invalid for egress zone 'HOST'", z.name)
		}
		return ""
	case !host && toAddr == "":
		return fmt.Sprintf("INVALID_FORWARD: Policy '%s': 'forward-port' requires 'to-addr' if egress zone is 'ANY' or a zone", z.name)
	case !c.V2 && slices.Contains(z.egress, "ANY"):
		return ""
	}
	return c.policyEgressInterfaces(z, "'forward-port'")
}

// policyEgressInterfaces: what a policy's forward port or mark rule does
// cannot apply to an egress zone bound to interfaces.
func (c *Tree) policyEgressInterfaces(z *vZone, what string) string {
	for _, name := range z.egress {
		if name == "ANY" || name == "HOST" {
			continue
		}
		if !c.exists("zones", name) {
			return fmt.Sprintf("INVALID_ZONE: Policy '%s': Zone '%s' does not exist.", z.name, name)
		}
		if c.zoneHasInterfaces(name) {
			return fmt.Sprintf("INVALID_ZONE: Policy '%s': %s cannot be used because egress zone '%s' has assigned interfaces", z.name, what, name)
		}
	}
	return ""
}

func (c *Tree) zoneHasInterfaces(name string) bool {
	zone := c.zones["zones/"+name]
	return zone != nil && len(zone.interfaces) > 0
}

// firewallBackend is firewalld.conf's FirewallBackend as firewalld_conf
// keeps it: as written when valid (any case), else nftables, the default.
func firewallBackend(conf []byte, rules RuleSet) string {
	values, _ := readConfValues(conf, rules)
	if v, ok := values["FirewallBackend"]; ok && slices.Contains([]string{"nftables", "iptables"}, strings.ToLower(v)) {
		return v
	}
	return "nftables"
}
