package fwconfig

import (
	"fmt"
	"slices"
	"strings"
)

// crossCheck is fw_config.full_check_config over what loaded: ipsets
// (2.x's maxelem), services, then zones, then policies (helpers and ICMP
// types have nothing left to check once read). A reference to an object
// whose own file was refused is not reported again.
func (c *Tree) crossCheck() {
	if c.V2 {
		c.checkIPSetSizes()
	}
	for _, name := range c.Names["services"] {
		s := c.services[name]
		if s == nil {
			continue
		}
		for _, inc := range s.includes {
			if !c.exists("services", inc) {
				c.refuse(s.path, fmt.Sprintf("INVALID_SERVICE: Service '%s': Included service '%s' not found.", name, inc))
			}
		}
	}
	for _, kind := range []string{"zones", "policies"} {
		for _, name := range c.Names[kind] {
			if z := c.zones[kind+"/"+name]; z != nil {
				if msg := c.checkZone(z); msg != "" {
					c.refuse(z.path, msg)
				}
			}
		}
	}
}

func (z *vZone) kind() string {
	if z.isPolicy {
		return "Policy"
	}
	return "Zone"
}

// checkZone is common_check_config plus Zone._check_config or
// Policy._check_config, in the order of the object's export structure.
func (c *Tree) checkZone(z *vZone) string {
	if msg := z.unsortableRules2(c.V2); msg != "" {
		return msg
	}
	k := z.kind()
	if z.isPolicy && c.exists("zones", z.name) {
		return fmt.Sprintf("NAME_CONFLICT: Policy '%s': Can't have the same name as a zone.", z.name)
	}
	if !z.isPolicy && c.exists("policies", z.name) {
		return fmt.Sprintf("NAME_CONFLICT: Zone '%s': Can't have the same name as a policy.", z.name)
	}
	for _, s := range z.services {
		if !c.exists("services", s) {
			return fmt.Sprintf("INVALID_SERVICE: %s '%s': '%s' not among existing services", k, z.name, s)
		}
	}
	for _, ic := range z.icmpBlocks {
		if !c.exists("icmptypes", ic) {
			return fmt.Sprintf("INVALID_ICMPTYPE: %s '%s': '%s' not among existing ICMP types", k, z.name, ic)
		}
	}
	for _, f := range z.forwardPorts {
		if f[2] == "" && f[3] == "" {
			return fmt.Sprintf("INVALID_FORWARD: %s '%s': '('%s', '%s', '', '')' is missing to-port AND to-addr ", k, z.name, f[0], f[1])
		}
	}
	if z.isPolicy {
		if msg := c.checkPolicy(z); msg != "" {
			return msg
		}
	} else if msg := c.checkBindings(z); msg != "" {
		return msg
	}
	for _, r := range z.rules {
		if msg := c.checkRuleString(z, r); msg != "" {
			return msg
		}
	}
	if msg := z.priorityError2(c.V2); msg != "" {
		return msg
	}
	if !z.isPolicy && (z.name == c.defaultZone || len(z.interfaces) > 0 || len(z.sources) > 0) {
		return c.checkApplied(z)
	}
	return ""
}

// checkApplied covers what only applying a zone finds (core/fw_policy.py
// _rule_prepare, the ipset lookups of the zone's sources and rules): a
// rich rule naming a service, or a source or rule naming an ipset, that
// does not exist. firewall-cmd --check-config passes on these, but the
// reload fails (INVALID_SERVICE, INVALID_IPSET; firewall-cmd --state then
// says "failed"), for the zones firewalld applies: the default zone and
// those with interfaces or sources, tried against the real daemon.
func (c *Tree) checkApplied(z *vZone) string {
	const why = " (firewall-cmd --check-config passes, but the reload fails applying zone %s)"
	for _, src := range z.sources {
		if name, ok := strings.CutPrefix(src, "ipset:"); ok {
			if msg := c.sourceIPSet(name); msg != "" {
				return msg + fmt.Sprintf(why, z.name)
			}
		}
	}
	for _, svc := range z.services {
		if msg := c.serviceHelpers(svc, map[string]bool{}); msg != "" {
			return msg + fmt.Sprintf(why, z.name)
		}
	}
	for _, r := range z.rules {
		if e := r.element; e != nil && e.kind == "service" {
			if !c.exists("services", e.get("name")) {
				return "INVALID_SERVICE: " + e.get("name") + fmt.Sprintf(why, z.name)
			}
			if r.action != nil && r.action.kind == "accept" { // fw_policy.py loads helpers for accept only
				if msg := c.serviceHelpers(e.get("name"), map[string]bool{}); msg != "" {
					return msg + fmt.Sprintf(why, z.name)
				}
			}
		}
		if s := r.source; s != nil && s.ipset != "" && s.addr == "" && s.mac == "" {
			if msg := c.sourceIPSet(s.ipset); msg != "" {
				return msg + fmt.Sprintf(why, z.name)
			}
			if fam := c.ipsetFamilies[s.ipset]; r.family != "" && c.ipsetTypes[s.ipset] != "hash:mac" && fam != "" && fam != r.family {
				return fmt.Sprintf("INVALID_RULE: Source address family '%s' conflicts with rule family '%s'.", fam, r.family) + fmt.Sprintf(why, z.name)
			}
		}
		if a := r.destination; a != nil && a.ipset != "" && a.addr == "" && !c.exists("ipsets", a.ipset) {
			return "INVALID_IPSET: " + a.ipset + fmt.Sprintf(why, z.name)
		}
	}
	return ""
}

// checkBindings: an interface or a source belongs to one zone only.
func (c *Tree) checkBindings(z *vZone) string {
	for _, iface := range z.interfaces {
		if !checkInterface(iface) {
			return fmt.Sprintf("INVALID_INTERFACE: Zone '%s': invalid interface '%s'", z.name, iface)
		}
		if other := c.boundElsewhere(z, func(o *vZone) []string { return o.interfaces }, iface); other != "" {
			return fmt.Sprintf("INVALID_INTERFACE: Zone '%s': interface '%s' already bound to zone '%s'", z.name, iface, other)
		}
	}
	for _, src := range z.sources {
		if !checkIPnMask(src) && !checkIP6nMask(src) && !checkMAC(src) && !strings.HasPrefix(src, "ipset:") {
			return fmt.Sprintf("INVALID_ADDR: Zone '%s': invalid source '%s'", z.name, src)
		}
		if other := c.boundElsewhere(z, func(o *vZone) []string { return o.sources }, src); other != "" {
			return fmt.Sprintf("INVALID_ADDR: Zone '%s': source '%s' already bound to zone '%s'", z.name, src, other)
		}
	}
	return ""
}

func (c *Tree) boundElsewhere(z *vZone, list func(*vZone) []string, item string) string {
	for _, name := range c.Names["zones"] {
		if o := c.zones["zones/"+name]; o != nil && name != z.name && slices.Contains(list(o), item) {
			return name
		}
	}
	return ""
}

// checkRuleString: firewalld re-reads each rule from Rich_Rule.__str__
// (rules_str), so a value that does not survive the round trip (a log
// prefix with a quote or '=', a backslash at a value's end) fails the
// configuration; then ICMP types named in rules must exist for the family
// and, in 2.x's common_check_config (1.3 finds these only when the reload
// applies the zone: checkApplied), a rule's service, else its source
// ipset, else its destination ipset must exist.
func (c *Tree) checkRuleString(z *vZone, r *vRule) string {
	text := r.String()
	back, err := parseRuleString(text, c.DB, c.V2)
	if err != nil {
		return fmt.Sprintf("%s (firewalld re-reads the rule %s from its own spelling and fails)", err, text)
	}
	e := back.element
	switch {
	case e != nil && (e.kind == "icmp-block" || e.kind == "icmp-type"):
		name := e.get("name")
		t, ok := c.icmp[name]
		switch {
		case !c.exists("icmptypes", name):
			return fmt.Sprintf("INVALID_ICMPTYPE: %s '%s': '%s' not among existing ICMP types", z.kind(), z.name, name)
		case ok && back.family != "" && len(t.destinations) > 0 && !slices.Contains(t.destinations, back.family):
			return fmt.Sprintf("INVALID_ICMPTYPE: %s '%s': rich rule family '%s' conflicts with icmp type '%s'", z.kind(), z.name, back.family, name)
		}
	case !c.V2:
	case e != nil && e.kind == "service":
		if !c.exists("services", e.get("name")) {
			return fmt.Sprintf("INVALID_SERVICE: %s '%s': '%s' not among existing services", z.kind(), z.name, e.get("name"))
		}
	case back.source != nil && back.source.ipset != "":
		if !c.exists("ipsets", back.source.ipset) {
			return fmt.Sprintf("INVALID_IPSET: %s '%s': '%s' not among existing ipsets", z.kind(), z.name, back.source.ipset)
		}
	case back.destination != nil && back.destination.ipset != "":
		if !c.exists("ipsets", back.destination.ipset) {
			return fmt.Sprintf("INVALID_IPSET: %s '%s': '%s' not among existing ipsets", z.kind(), z.name, back.destination.ipset)
		}
	}
	return ""
}

// priorityError2 is firewalld 2.x's Zone._check_config for the ingress and
// egress priorities (1.3 has none).
func (z *vZone) priorityError2(v2 bool) string {
	if !v2 || z.isPolicy {
		return ""
	}
	for _, p := range []int64{z.ingressPriority, z.egressPriority} {
		if p < -32768 || p > 32767 {
			return fmt.Sprintf("INVALID_PRIORITY: Zone '%s': %d is an invalid priority value. Must be in range [-32768, 32767].", z.name, p)
		}
	}
	return ""
}

// serviceHelpers: the helpers and conntrack modules a service (and what
// it includes) names must exist as helpers (fw_policy.py
// get_helpers_for_service_modules/_helpers raise INVALID_HELPER).
func (c *Tree) serviceHelpers(name string, seen map[string]bool) string {
	s := c.services[name]
	if s == nil || seen[name] {
		return ""
	}
	seen[name] = true
	for _, h := range s.helpers {
		if !c.exists("helpers", h) {
			return "INVALID_HELPER: " + h
		}
	}
	for _, inc := range s.includes {
		if msg := c.serviceHelpers(inc, seen); msg != "" {
			return msg
		}
	}
	return ""
}

// sourceIPSet is fw_zone/fw_policy _check_ipset_type_for_source: the
// ipset exists and its type can match a source.
func (c *Tree) sourceIPSet(name string) string {
	if !c.exists("ipsets", name) {
		return "INVALID_IPSET: " + name
	}
	if t, ok := c.ipsetTypes[name]; ok && !slices.Contains(sourceIPSetTypes, t) {
		return fmt.Sprintf("INVALID_IPSET: ipset '%s' with type '%s' not usable as source", name, t)
	}
	return ""
}

// unsortableRules2: firewalld 2.x keeps rules in a set and exports them
// sorted (Zone/Policy.__getattr__ rules_str, rich_rules: sorted(self.rules)),
// comparing priority, family, source, destination, then the elements;
// Rich_Masquerade has no order, so two masquerade rules alike up to there
// raise TypeError and the file is refused.
func (z *vZone) unsortableRules2(v2 bool) string {
	if !v2 {
		return ""
	}
	seen := map[string]bool{}
	for _, r := range z.rules {
		if r.element == nil || r.element.kind != "masquerade" {
			continue
		}
		head := (&vRule{v2: true, priority: r.priority, family: r.family, source: r.source, destination: r.destination}).String()
		if seen[head] {
			return "TypeError: '<' not supported between instances of 'Rich_Masquerade' and 'Rich_Masquerade'"
		}
		seen[head] = true
	}
	return ""
}
