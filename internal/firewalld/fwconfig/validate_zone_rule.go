package fwconfig

import (
	"fmt"
	"slices"

	"github.com/beevik/etree"
)

// invalid is where the releases part ways on a bad rule: firewalld 1.3's
// reader logs "Invalid rule: …" and skips the rule up to its </rule>
// (_rule_error); 2.x's raises msg, which refuses the file.
func (r *zoneReader) invalid(msg string) string {
	if r.v2 {
		return msg
	}
	r.ruleErr = true
	return ""
}

// ignored: 1.3 logs and ignores the element (the rule, if any, stands);
// 2.x raises msg.
func (r *zoneReader) ignored(msg string) string {
	if r.v2 {
		return msg
	}
	return ""
}

// ruleText is str(obj._rule), as 2.x's messages quote it.
func (r *zoneReader) ruleText() string {
	if r.rule == nil {
		return "None"
	}
	return r.rule.String()
}

// element sets the rule's one element: a second one makes 1.3 skip the
// rule and 2.x raise; 2.x also builds (checks) the element at once.
func (r *zoneReader) element(p *vPart) string {
	if r.rule.element != nil {
		return r.invalid(fmt.Sprintf("INVALID_RULE: More than one element in rule '%s'.", r.ruleText()))
	}
	r.rule.element = p
	if r.v2 {
		return p.partError2(r.db)
	}
	return ""
}

// common is common_startElement (io/policy.py); handled is false for
// elements it leaves to the zone or policy handler.
func (r *zoneReader) common(el *etree.Element) (handled bool, msg string) {
	z, db := r.z, r.db
	get := func(k string) string { v, _ := attr(el, k); return v }
	switch el.Tag {
	case "short", "description":
	case "service", "icmp-block":
		if r.rule != nil {
			return true, r.element(partOf(el, el.Tag, "name"))
		} else if el.Tag == "service" {
			z.services = appendNew(z.services, get("name"))
		} else {
			z.icmpBlocks = appendNew(z.icmpBlocks, get("name"))
		}
	case "icmp-type":
		if r.rule != nil {
			return true, r.element(partOf(el, el.Tag, "name"))
		}
		return true, r.ignored("INVALID_RULE: icmp-block outside of rule.")
	case "port", "source-port":
		if r.rule != nil {
			return true, r.element(partOf(el, el.Tag, "port", "protocol"))
		}
		if msg := db.portRangeError(get("port")); msg != "" {
			return true, msg
		}
		if msg := tcpudpError(get("protocol")); msg != "" {
			return true, msg
		}
		entry := [2]string{get("port"), get("protocol")}
		if el.Tag == "port" && !hasPair(z.ports, entry) {
			z.ports = append(z.ports, entry)
		} else if el.Tag == "source-port" && !hasPair(z.sourcePorts, entry) {
			z.sourcePorts = append(z.sourcePorts, entry)
		}
	case "protocol":
		if r.rule != nil {
			return true, r.element(partOf(el, el.Tag, "value"))
		} else if !db.protocolOK(get("value")) {
			return true, "INVALID_PROTOCOL: " + get("value")
		}
		z.protocols = appendNew(z.protocols, get("value"))
	case "tcp-mss-clamp":
		if r.rule != nil {
			p := &vPart{kind: el.Tag, attrs: map[string]string{"value": "pmtu"}}
			if v, ok := attr(el, "value"); ok && v != "None" {
				p.attrs["value"] = v
			}
			return true, r.element(p)
		}
		if r.v2 {
			return true, "INVALID_RULE: tcp-mss-clamp outside of rule."
		}
		if _, ok := attr(el, "value"); !ok {
			return true, keyError(el, "value") // 1.3 only logs it, but the log line indexes it
		}
	case "masquerade":
		if r.rule != nil {
			return true, r.element(&vPart{kind: el.Tag})
		}
		z.masquerade = true
	case "forward-port":
		if r.rule != nil {
			return true, r.element(partOf(el, el.Tag, "port", "protocol", "to-port", "to-addr"))
		}
		return true, r.forwardPort(el)
	case "destination":
		return true, r.destination(el)
	case "accept", "reject", "drop", "mark":
		if r.rule == nil {
			return true, r.invalid("INVALID_RULE: Action outside of rich rule.")
		}
		if r.rule.action != nil {
			return true, r.invalid(fmt.Sprintf("INVALID_RULE: More than one action in rule '%s'.", r.ruleText()))
		}
		r.rule.action = partOf(el, el.Tag, "type", "set")
		r.limitPart = r.rule.action
		if r.v2 {
			return true, r.rule.action.partError2(db)
		}
	case "log", "nflog":
		return true, r.logElement(el)
	case "audit":
		switch {
		case r.rule == nil:
			return true, r.ignored("INVALID_RULE: Audit outside of rule.")
		case r.rule.audit != nil:
			return true, r.invalid(fmt.Sprintf("INVALID_RULE: More than one audit in rule '%s'.", r.ruleText()))
		}
		r.rule.audit = &vPart{kind: "audit"}
		r.limitPart = r.rule.audit
	case "rule":
		return true, r.ruleElement(el)
	case "limit":
		return true, r.limitElement(el)
	default:
		return false, ""
	}
	return true, ""
}

// ruleElement starts a rule. 1.3 skips a rule of another family at once;
// 2.x leaves that to Rich_Rule.check. Both fail on a priority int() refuses.
func (r *zoneReader) ruleElement(el *etree.Element) string {
	family, hasFamily := attr(el, "family")
	if hasFamily && family != "ipv4" && family != "ipv6" && !r.v2 {
		r.ruleErr = true
		return ""
	}
	var prio int64
	if p, ok := attr(el, "priority"); ok {
		n, ok := pyInt(p)
		if !ok {
			return fmt.Sprintf("invalid literal for int() with base 10: '%s'", p)
		}
		prio = n
	}
	r.rule = &vRule{v2: r.v2, family: family, priority: prio}
	return ""
}

// limitElement sets the limit of the action, log or audit last opened
// (_limit_ok; </nflog> does not clear it, so it may outlive its rule).
// 1.3 sets it on that object; 2.x builds a copy with the limit
// (dataclasses.replace) and puts it in the current rule's slot.
func (r *zoneReader) limitElement(el *etree.Element) string {
	switch {
	case r.limitPart == nil:
		return r.invalid("INVALID_RULE: Limit outside of action, log and audit.")
	case r.limitPart.limit != nil:
		return r.invalid(fmt.Sprintf("INVALID_RULE: More than one limit in rule '%s'.", r.ruleText()))
	}
	l := &vLimit{value: attrValue(el, "value")}
	if b, ok := attr(el, "burst"); ok {
		l.burst = &b
	}
	if !r.v2 {
		r.limitPart.limit = l
		return ""
	}
	if _, _, _, msg := l.limit2(); msg != "" {
		return msg
	}
	p := *r.limitPart
	p.limit = l
	r.limitPart = &p
	switch {
	case r.rule == nil:
		return "TypeError: replace() should be called on dataclass instances"
	case p.kind == "log" || p.kind == "nflog":
		r.rule.log = &p
	case p.kind == "audit":
		r.rule.audit = &p
	default:
		r.rule.action = &p
	}
	return ""
}

func attrValue(el *etree.Element, k string) string { v, _ := attr(el, k); return v }

// destination is a rule's <destination>: 1.3 marks one outside a rule as
// an error (skipping up to the next </rule>) and ignores a second one;
// 2.x raises for both, and Rich_Destination checks itself.
func (r *zoneReader) destination(el *etree.Element) string {
	switch {
	case r.rule == nil:
		return r.invalid("INVALID_RULE: Destination outside of rich rule.")
	case r.rule.destination != nil:
		return r.ignored(fmt.Sprintf("INVALID_RULE: More than one destination in rule '%s'.", r.ruleText()))
	}
	get := func(k string) string { v, _ := attr(el, k); return v }
	d := &vAddr{addr: get("address"), ipset: get("ipset"), invert: isYes(get("invert"))}
	if r.v2 {
		if msg := d.destinationError2(); msg != "" {
			return msg
		}
	} else if d.addr == "" && d.ipset == "" {
		return "INVALID_RULE: no address and ipset"
	}
	r.rule.destination = d
	return ""
}

// logElement is <log> and <nflog>. 1.3 skips the rule for a bad level, an
// empty or long prefix or a bad nflog number, and ignores a <log> outside
// a rule or a second one; 2.x raises for those two and leaves the values
// to Rich_Log and Rich_NFLog (an empty prefix is fine there).
func (r *zoneReader) logElement(el *etree.Element) string {
	where := map[string]string{"log": "Log outside of rich rule.", "nflog": "Log outside of rule."}[el.Tag]
	switch {
	case r.rule == nil:
		return r.ignored("INVALID_RULE: " + where)
	case r.rule.log != nil:
		return r.ignored(fmt.Sprintf("INVALID_RULE: More than one log in rule '%s'.", r.ruleText()))
	}
	p := partOf(el, el.Tag, "prefix", "level", "group", "queue-size")
	if r.v2 {
		r.rule.log = p
		r.limitPart = p
		return p.partError2(r.db)
	}
	if lv, ok := p.attrs["level"]; ok && !slices.Contains(logLevels, lv) {
		r.ruleErr = true
		return ""
	}
	if prefix, ok := p.attrs["prefix"]; ok && (prefix == "" || len([]rune(prefix)) > 127) {
		r.ruleErr = true
		return ""
	}
	for _, k := range []string{"group", "queue-size"} {
		if v, ok := p.attrs[k]; ok && el.Tag == "nflog" && !uint16OK(v) {
			r.ruleErr = true
			return ""
		}
	}
	r.rule.log = p
	r.limitPart = p
	return ""
}
