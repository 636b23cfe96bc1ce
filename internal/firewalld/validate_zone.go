package firewalld

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// vZone is what zone_reader and policy_reader keep of a file: the parts
// the configuration check (common_check_config, Zone/Policy._check_config)
// looks at. Policies use the same type (isPolicy).
type vZone struct {
	name, path   string
	isPolicy     bool
	target       string
	priority     int64 // policies
	services     []string
	ports        [][2]string
	protocols    []string
	icmpBlocks   []string
	forwardPorts [][4]string
	sourcePorts  [][2]string
	interfaces   []string
	sources      []string
	rules        []*vRule
	ingress      []string
	egress       []string
	masquerade   bool
}

// zoneReader is zone_ContentHandler / policy_ContentHandler with
// io/policy.py's common_startElement and common_endElement: the same
// element-by-element decisions, so that a file is refused exactly when
// firewalld's reader raises, and a rich rule is dropped (with firewalld's
// warning, not a refusal) exactly when Rich_Rule.check fails.
type zoneReader struct {
	z       *vZone
	db      netDB
	spec    elementSpec
	rule    *vRule
	ruleErr bool
	limitOK **string // the limit slot of the action, log or audit just opened
	skipped []string // rules firewalld drops with a warning
}

func appendNew(list []string, s string) []string {
	if xmlContains(list, s) {
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
		if !r.ruleErr && r.rule != nil {
			if msg := r.rule.check(r.db); msg != "" {
				r.skipped = append(r.skipped, msg+": "+r.rule.String())
			} else if !r.z.hasRule(r.rule.String()) {
				r.z.rules = append(r.z.rules, r.rule)
			}
		}
		r.rule, r.ruleErr = nil, false
	case "accept", "reject", "drop", "mark", "log", "audit":
		r.limitOK = nil
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

// element sets the rule's one element, or marks the rule bad when it has one.
func (r *zoneReader) element(p *vPart) {
	if r.rule.element != nil {
		r.ruleErr = true
		return
	}
	r.rule.element = p
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

// common is common_startElement; handled is false for elements it leaves
// to the zone or policy handler.
func (r *zoneReader) common(el *etree.Element) (handled bool, msg string) {
	z, db := r.z, r.db
	get := func(k string) string { v, _ := attr(el, k); return v }
	switch el.Tag {
	case "short", "description":
	case "service", "icmp-block":
		if r.rule != nil {
			r.element(partOf(el, el.Tag, "name"))
		} else if el.Tag == "service" {
			z.services = appendNew(z.services, get("name"))
		} else {
			z.icmpBlocks = appendNew(z.icmpBlocks, get("name"))
		}
	case "icmp-type":
		if r.rule != nil {
			r.element(partOf(el, el.Tag, "name"))
		}
	case "port", "source-port":
		if r.rule != nil {
			r.element(partOf(el, el.Tag, "port", "protocol"))
			break
		}
		if msg := db.portRangeError(get("port")); msg != "" {
			return true, msg
		}
		if msg := tcpudpError(get("protocol")); msg != "" {
			return true, msg
		}
		entry := [2]string{get("port"), get("protocol")}
		if el.Tag == "port" {
			z.ports = append(z.ports, entry)
		} else {
			z.sourcePorts = append(z.sourcePorts, entry)
		}
	case "protocol":
		if r.rule != nil {
			r.element(partOf(el, el.Tag, "value"))
		} else if !db.protocolOK(get("value")) {
			return true, "INVALID_PROTOCOL: " + get("value")
		} else {
			z.protocols = appendNew(z.protocols, get("value"))
		}
	case "tcp-mss-clamp":
		if r.rule != nil {
			p := &vPart{kind: el.Tag, attrs: map[string]string{"value": "pmtu"}}
			if v, ok := attr(el, "value"); ok && v != "None" {
				p.attrs["value"] = v
			}
			r.element(p)
		} else if _, ok := attr(el, "value"); !ok {
			return true, keyError(el, "value") // it is only logged, but the log line indexes it
		}
	case "masquerade":
		if r.rule != nil {
			r.element(&vPart{kind: el.Tag})
		} else {
			z.masquerade = true
		}
	case "forward-port":
		if r.rule != nil {
			r.element(partOf(el, el.Tag, "port", "protocol", "to-port", "to-addr"))
			break
		}
		return true, r.forwardPort(el)
	case "destination":
		switch {
		case r.rule == nil:
			r.ruleErr = true
		case r.rule.destination != nil:
		default:
			d := &vAddr{addr: get("address"), ipset: get("ipset"), invert: isYes(get("invert"))}
			if d.addr == "" && d.ipset == "" {
				return true, "INVALID_RULE: no address and ipset"
			}
			r.rule.destination = d
		}
	case "accept", "reject", "drop", "mark":
		if r.rule == nil || r.rule.action != nil {
			r.ruleErr = true
			break
		}
		r.rule.action = partOf(el, el.Tag, "type", "set")
		r.limitOK = &r.rule.action.limit
	case "log", "nflog":
		r.logElement(el)
	case "audit":
		switch {
		case r.rule == nil:
		case r.rule.audit != nil:
			r.ruleErr = true
		default:
			r.rule.audit = &vPart{kind: "audit"}
			r.limitOK = &r.rule.audit.limit
		}
	case "rule":
		family, hasFamily := attr(el, "family")
		if hasFamily && family != "ipv4" && family != "ipv6" {
			r.ruleErr = true
			break
		}
		var prio int64
		if p, ok := attr(el, "priority"); ok {
			n, ok := pyInt(p)
			if !ok {
				return true, fmt.Sprintf("invalid literal for int() with base 10: '%s'", p)
			}
			prio = n
		}
		r.rule = &vRule{family: family, priority: prio}
	case "limit":
		if r.limitOK == nil || *r.limitOK != nil {
			r.ruleErr = true
			break
		}
		*r.limitOK = vNormLimit(get("value"))
	default:
		return false, ""
	}
	return true, ""
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

func (r *zoneReader) logElement(el *etree.Element) {
	if r.rule == nil || r.rule.log != nil {
		return
	}
	p := partOf(el, el.Tag, "prefix", "level", "group", "queue-size")
	if lv, ok := p.attrs["level"]; ok && !xmlContains(logLevels, lv) {
		r.ruleErr = true
		return
	}
	if prefix, ok := p.attrs["prefix"]; ok && (prefix == "" || len([]rune(prefix)) > 127) {
		r.ruleErr = true
		return
	}
	for _, k := range []string{"group", "queue-size"} {
		if v, ok := p.attrs[k]; ok && el.Tag == "nflog" && !uint16OK(v) {
			r.ruleErr = true
			return
		}
	}
	r.rule.log = p
	r.limitOK = &p.limit
}

// zoneElement is the rest of zone_ContentHandler.startElement.
func (r *zoneReader) zoneElement(el *etree.Element) string {
	get := func(k string) string { v, _ := attr(el, k); return v }
	switch el.Tag {
	case "zone":
		if t, ok := attr(el, "target"); ok {
			if !xmlContains(zoneTargets, t) {
				return "INVALID_TARGET: " + t
			}
			if t != "" && t != "{chain}_{zone}" {
				r.z.target = t
			}
		}
	case "interface":
		if r.rule != nil {
			r.ruleErr = true
			break
		}
		r.z.interfaces = appendNew(r.z.interfaces, get("name"))
	case "source":
		if r.rule != nil {
			return r.ruleSource(el)
		}
		addr, hasAddr := attr(el, "address")
		ipset, hasIPSet := attr(el, "ipset")
		_, hasInvert := attr(el, "invert")
		if hasAddr == hasIPSet || hasInvert { // skipped with a warning
			break
		}
		if hasAddr && !checkIPnMask(addr) && !checkIP6nMask(addr) && !checkMAC(addr) {
			return "INVALID_ADDR: " + addr
		}
		if hasIPSet {
			if xmlContains(r.z.sources, "ipset:"+ipset) {
				return keyError(el, "address") // the duplicate's warning indexes it
			}
			r.z.sources = append(r.z.sources, "ipset:"+ipset)
		}
		if hasAddr {
			r.z.sources = appendNew(r.z.sources, addr)
		}
	}
	return ""
}

var zoneTargets = []string{"ACCEPT", "%%REJECT%%", "DROP", "{chain}_{zone}", "default"}
var policyTargets = []string{"ACCEPT", "REJECT", "DROP", "CONTINUE"}

// ruleSource is a <source> inside a <rule> (Rich_Source refuses one with
// nothing to match).
func (r *zoneReader) ruleSource(el *etree.Element) string {
	if r.rule.source != nil {
		r.ruleErr = true
		return ""
	}
	get := func(k string) string { v, _ := attr(el, k); return v }
	s := &vAddr{addr: get("address"), mac: strings.ToUpper(get("mac")), ipset: get("ipset"), invert: isYes(get("invert"))}
	if s.addr == "" && s.mac == "" && s.ipset == "" {
		return "INVALID_RULE: no address, mac and ipset"
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
			if !xmlContains(policyTargets, t) {
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
			r.ruleErr = true // "Source outside of rule": the reader then skips up to the next </rule>
			return ""
		}
		return r.ruleSource(el)
	}
	return ""
}
