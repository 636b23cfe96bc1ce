package fwconfig

import (
	"fmt"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// vZone is what zone_reader and policy_reader keep of a file: the parts
// the configuration check (common_check_config, Zone/Policy._check_config)
// looks at. Policies use the same type (isPolicy).
type vZone struct {
	name, path string
	isPolicy   bool
	target     string
	priority   int64 // policies
	// ingress and egress priority of a zone (firewalld 2.x; 0 by default)
	ingressPriority, egressPriority int64
	services                        []string
	ports                           [][2]string
	protocols                       []string
	icmpBlocks                      []string
	forwardPorts                    [][4]string
	sourcePorts                     [][2]string
	interfaces                      []string
	sources                         []string
	rules                           []*vRule
	ingress                         []string
	egress                          []string
	masquerade                      bool
	// skipped are the rules firewalld 1.3 logs and drops at load, with
	// its reason: they are not in the ruleset the verdict is judged on.
	skipped []string
}

// zoneReader is zone_ContentHandler / policy_ContentHandler with
// io/policy.py's common_startElement and common_endElement: the same
// element-by-element decisions, so that a file is refused exactly when
// firewalld's reader raises, and (1.3) a rich rule is dropped with
// firewalld's warning, not a refusal, exactly when Rich_Rule.check fails.
type zoneReader struct {
	z         *vZone
	db        NetDB
	v2        bool // firewalld 2.x's reader: it raises where 1.3's skips
	spec      elementSpec
	rule      *vRule
	ruleErr   bool   // 1.3's _rule_error: skip up to the next </rule>
	limitPart *vPart // _limit_ok: the action, log or audit a <limit> goes to
	skipped   []string
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func (r *zoneReader) start(el *etree.Element) string {
	if r.ruleErr {
		return ""
	}
	if msg := r.spec.check(el); msg != "" {
		return msg
	}
	if handled, msg := r.common(el); handled {
		return msg
	}
	if r.z.isPolicy {
		return r.policyElement(el)
	}
	return r.zoneElement(el)
}

func (r *zoneReader) end(el *etree.Element) string {
	switch el.Tag {
	case "rule":
		var msg string
		switch {
		case r.v2 && r.rule == nil: // the inner </rule> of nested rules ended it
			return "AttributeError: 'NoneType' object has no attribute 'check'"
		case r.v2:
			msg = r.rule.check2() // raised: the file is refused
			if msg != "" {
				return msg
			}
		case !r.ruleErr && r.rule != nil:
			if msg = r.rule.check(r.db); msg != "" {
				r.skipped = append(r.skipped, msg+": "+r.rule.String())
			}
		}
		if msg == "" && r.rule != nil && !r.ruleErr && !r.z.hasRule(r.rule.String()) {
			r.z.rules = append(r.z.rules, r.rule)
		}
		r.rule, r.ruleErr = nil, false
	case "accept", "reject", "drop", "mark", "log", "audit":
		r.limitPart = nil
	}
	return ""
}

func (z *vZone) hasRule(text string) bool {
	for _, r := range z.rules {
		if r.String() == text {
			return true
		}
	}
	return false
}

func partOf(el *etree.Element, kind string, keys ...string) *vPart {
	p := &vPart{kind: kind, attrs: map[string]string{}}
	for _, k := range keys {
		if v, ok := attr(el, k); ok {
			p.attrs[k] = v
		}
	}
	return p
}

func isYes(s string) bool { s = strings.ToLower(s); return s == "yes" || s == "true" }

func (r *zoneReader) forwardPort(el *etree.Element) string {
	get := func(k string) string { v, _ := attr(el, k); return v }
	if msg := r.db.portRangeError(get("port")); msg != "" {
		return msg
	}
	if msg := tcpudpError(get("protocol")); msg != "" {
		return msg
	}
	if to := get("to-port"); to != "" {
		if msg := r.db.portRangeError(to); msg != "" {
			return msg
		}
	}
	if addr := get("to-addr"); addr != "" && !checkIP(addr) && !checkIP6(addr) {
		return fmt.Sprintf("INVALID_ADDR: to-addr '%s' is not a valid address", addr)
	}
	entry := [4]string{get("port"), get("protocol"), get("to-port"), get("to-addr")}
	for _, f := range r.z.forwardPorts {
		if f == entry {
			return ""
		}
	}
	r.z.forwardPorts = append(r.z.forwardPorts, entry)
	return ""
}

// zoneElement is the rest of zone_ContentHandler.startElement.
func (r *zoneReader) zoneElement(el *etree.Element) string {
	get := func(k string) string { v, _ := attr(el, k); return v }
	switch el.Tag {
	case "zone":
		if t, ok := attr(el, "target"); ok {
			if !slices.Contains(zoneTargets, t) {
				return "INVALID_TARGET: " + t
			}
			if t != "" && t != "{chain}_{zone}" {
				r.z.target = t
			}
		}
		// 2.x only (1.3's spec refuses the attributes): int(), the range
		// is Zone._check_config's (see checkZone)
		for _, p := range []struct {
			key string
			to  *int64
		}{{"ingress-priority", &r.z.ingressPriority}, {"egress-priority", &r.z.egressPriority}} {
			if v, ok := attr(el, p.key); ok {
				n, ok := pyInt(v)
				if !ok {
					return fmt.Sprintf("invalid literal for int() with base 10: '%s'", v)
				}
				*p.to = n
			}
		}
	case "interface":
		if r.rule != nil {
			return r.invalid(fmt.Sprintf("INVALID_RULE: Interface is not valid in rule '%s'.", r.ruleText()))
		}
		r.z.interfaces = appendNew(r.z.interfaces, get("name"))
	case "source":
		if r.rule != nil {
			return r.ruleSource(el)
		}
		return r.zoneSource(el)
	}
	return ""
}

// zoneSource binds the zone to a source. 1.3 logs and skips a <source>
// with neither or both of address and ipset, or with invert; 2.x raises
// INVALID_SOURCE.
func (r *zoneReader) zoneSource(el *etree.Element) string {
	addr, hasAddr := attr(el, "address")
	ipset, hasIPSet := attr(el, "ipset")
	_, hasInvert := attr(el, "invert")
	switch {
	case !r.v2 && (hasAddr == hasIPSet || hasInvert):
		return ""
	case !hasAddr && !hasIPSet:
		return "INVALID_SOURCE: No address or ipset specified."
	case hasAddr && hasIPSet:
		return "INVALID_SOURCE: Both address and ipset (can only use one)."
	case hasInvert:
		return "INVALID_SOURCE: Invert not allowed."
	}
	if hasAddr && !checkIPnMask(addr) && !checkIP6nMask(addr) && !checkMAC(addr) {
		return "INVALID_ADDR: " + addr
	}
	if hasIPSet {
		if slices.Contains(r.z.sources, "ipset:"+ipset) && !r.v2 {
			return keyError(el, "address") // 1.3's warning for the duplicate indexes it
		}
		r.z.sources = appendNew(r.z.sources, "ipset:"+ipset)
	}
	if hasAddr {
		r.z.sources = appendNew(r.z.sources, addr)
	}
	return ""
}

var zoneTargets = []string{"ACCEPT", "%%REJECT%%", "DROP", "{chain}_{zone}", "default"}
var policyTargets = []string{"ACCEPT", "REJECT", "DROP", "CONTINUE"}

// ruleSource is a <source> inside a <rule>: Rich_Source refuses one with
// nothing to match (1.3 and 2.x) and, in 2.x, every other bad combination
// at once; 1.3 upper-cases the MAC and leaves the rest to check.
func (r *zoneReader) ruleSource(el *etree.Element) string {
	if r.rule.source != nil {
		return r.invalid(fmt.Sprintf("INVALID_RULE: More than one source in rule '%s'.", r.ruleText()))
	}
	get := func(k string) string { v, _ := attr(el, k); return v }
	s := &vAddr{addr: get("address"), mac: get("mac"), ipset: get("ipset"), invert: isYes(get("invert"))}
	if r.v2 {
		if msg := s.sourceError2(); msg != "" {
			return msg
		}
	} else {
		s.mac = strings.ToUpper(s.mac)
		if s.addr == "" && s.mac == "" && s.ipset == "" {
			return "INVALID_RULE: no address, mac and ipset"
		}
	}
	r.rule.source = s
	return ""
}

// policyElement is the rest of policy_ContentHandler.startElement.
func (r *zoneReader) policyElement(el *etree.Element) string {
	get := func(k string) string { v, _ := attr(el, k); return v }
	switch el.Tag {
	case "policy":
		if p, ok := attr(el, "priority"); ok {
			n, ok := pyInt(p)
			if !ok {
				return fmt.Sprintf("invalid literal for int() with base 10: '%s'", p)
			}
			r.z.priority = n
		}
		if t, ok := attr(el, "target"); ok {
			if !slices.Contains(policyTargets, t) {
				return "INVALID_TARGET: " + t
			}
			r.z.target = t
		}
	case "ingress-zone":
		r.z.ingress = appendNew(r.z.ingress, get("name"))
	case "egress-zone":
		r.z.egress = appendNew(r.z.egress, get("name"))
	case "source":
		if r.rule == nil {
			// 1.3 then skips up to the next </rule>
			return r.invalid("INVALID_RULE: Source outside of rule.")
		}
		return r.ruleSource(el)
	}
	return ""
}
