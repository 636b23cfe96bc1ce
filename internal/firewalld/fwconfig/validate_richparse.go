package fwconfig

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// pyShlexSplit is Python's shlex.split(s) (POSIX mode, no comments), which
// Rich_Rule._lexer uses through functions.splitArgs: quotes group, a
// backslash escapes outside quotes and inside double quotes before '"' or
// '\'; an unterminated quote is an error.
func pyShlexSplit(s string) ([]string, error) {
	var tokens []string
	var tok strings.Builder
	inToken := false
	state := ' '
	var escaped rune
	for _, c := range s {
		switch state {
		case ' ', 'a':
			switch {
			case strings.ContainsRune(" \t\r\n", c):
				if inToken {
					tokens = append(tokens, tok.String())
					tok.Reset()
					inToken = false
				}
				state = ' '
			case c == '\\':
				escaped, state, inToken = 'a', '\\', true
			case c == '"' || c == '\'':
				state, inToken = c, true
			default:
				tok.WriteRune(c)
				state, inToken = 'a', true
			}
		case '"', '\'':
			switch {
			case c == state:
				state = 'a'
			case c == '\\' && state == '"':
				escaped, state = '"', '\\'
			default:
				tok.WriteRune(c)
			}
		case '\\':
			if escaped == '"' && c != '\\' && c != '"' {
				tok.WriteRune('\\')
			}
			tok.WriteRune(c)
			state = escaped
		}
	}
	switch state {
	case '"', '\'':
		//lint:ignore ST1005 Python's shlex message, as firewalld prints it
		return nil, errors.New("No closing quotation")
	case '\\':
		//lint:ignore ST1005 Python's shlex message, as firewalld prints it
		return nil, errors.New("No escaped character")
	}
	if inToken {
		tokens = append(tokens, tok.String())
	}
	return tokens, nil
}

// stripNonPrintable is functions.stripNonPrintableCharacters: C0 and C1
// control characters go.
func stripNonPrintable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 32 || r >= 127 && r < 160 {
			return -1
		}
		return r
	}, s)
}

var ruleAttrNames = []string{"priority", "family", "address", "mac", "ipset", "invert", "value", "port", "protocol",
	"to-port", "to-addr", "name", "group", "prefix", "level", "queue-size", "type", "set"}

var ruleElementNames = []string{"rule", "source", "destination", "protocol", "service", "port", "icmp-block", "icmp-type",
	"masquerade", "forward-port", "source-port", "log", "nflog", "audit", "accept", "drop", "reject", "mark", "limit",
	"not", "NOT", "EOL", "tcp-mss-clamp"}

type ruleTok struct{ element, name, value string }

// parseRuleString is Rich_Rule(rule_str=…): _lexer, _import_from_string
// and the final check. firewalld re-reads every rule of a zone from its
// string form when it checks the configuration (common_check_config's
// rules_str) and when it copies the zone to the runtime, so a rule whose
// string form does not read back makes the whole configuration fail.
//
// v2 reads as firewalld 2.x: a limit may have a burst, and each part
// checks itself as it is built (see validate_rich2.go).
func parseRuleString(s string, db NetDB, v2 bool) (*vRule, error) {
	fail := func(format string, args ...any) (*vRule, error) {
		return nil, fmt.Errorf(format, args...)
	}
	words, err := pyShlexSplit(stripNonPrintable(s))
	if err != nil {
		return nil, err
	}
	var toks []ruleTok
	for _, w := range words {
		if strings.Contains(w, "=") {
			kv := strings.Split(w, "=")
			if len(kv) != 2 || kv[0] == "" || kv[1] == "" {
				return fail("INVALID_RULE: internal error in _lexer(): %s", w)
			}
			toks = append(toks, ruleTok{name: kv[0], value: kv[1]})
		} else {
			toks = append(toks, ruleTok{element: w})
		}
	}
	toks = append(toks, ruleTok{element: "EOL"})
	if toks[0].element == "EOL" {
		return fail("INVALID_RULE: empty rule")
	}
	r := &vRule{v2: v2}
	attrs := map[string]string{}
	var limit *vLimit
	var limitAttrs map[string]string // 2.x: value and burst
	var stack []string
	for i := 0; !(toks[i].element == "EOL" && len(stack) == 1 && stack[0] == "rule"); i++ {
		t := toks[i]
		if t.name != "" {
			if !slices.Contains(ruleAttrNames, t.name) && !(v2 && t.name == "burst") {
				return fail("INVALID_RULE: bad attribute '%s'", t.name)
			}
		} else if !slices.Contains(ruleElementNames, t.element) {
			return fail("INVALID_RULE: unknown element %s", t.element)
		} else if msg := r.duplicateElement(t.element); msg != "" {
			return fail("INVALID_RULE: %s", msg)
		}
		in := ""
		if len(stack) > 0 {
			in = stack[len(stack)-1]
		}
		pop := func() { stack = stack[:len(stack)-1] }
		// done ends an element that collects attributes until the next
		// token that is not one of them (which is then read again).
		done := func(set func()) {
			set()
			pop()
			attrs = map[string]string{}
			limit = nil
			i--
		}
		part := func(kind string) *vPart {
			p := &vPart{kind: kind, attrs: map[string]string{}, limit: limit}
			for k, v := range attrs {
				p.attrs[k] = v
			}
			return p
		}
		switch in {
		case "":
			if t.name != "" || !strings.Contains(t.element, "rule") {
				return fail("INVALID_RULE: '%s%s' outside of rule", t.element, t.name)
			}
			stack = append(stack, "rule")
		case "rule":
			switch {
			case t.name == "family":
				if t.value != "ipv4" && t.value != "ipv6" {
					return fail("INVALID_RULE: 'family' attribute cannot have '%s' value.", t.value)
				}
				r.family = t.value
			case t.name == "priority":
				n, ok := pyInt(t.value)
				if !ok {
					return fail("INVALID_PRIORITY: invalid 'priority' attribute value '%s'.", t.value)
				}
				r.priority = n
			case t.name != "":
				return fail("INVALID_RULE: attribute '%s' outside of any element", t.name)
			default:
				stack = append(stack, t.element)
			}
		case "source", "destination":
			switch {
			case t.name == "address" || t.name == "ipset" || t.name == "invert" || t.name == "mac" && in == "source":
				attrs[t.name] = t.value
			case t.element == "not" || t.element == "NOT":
				attrs["invert"] = "True"
			default:
				a := &vAddr{addr: attrs["address"], mac: attrs["mac"], ipset: attrs["ipset"], invert: attrs["invert"] != ""}
				if !v2 {
					a.mac = strings.ToUpper(a.mac) // 1.3's Rich_Source
				}
				if in == "source" && a.addr == "" && a.mac == "" && a.ipset == "" {
					return fail("INVALID_RULE: no address, mac and ipset")
				}
				if in == "destination" && a.addr == "" && a.ipset == "" {
					return fail("INVALID_RULE: no address and ipset")
				}
				done(func() {
					if in == "source" {
						r.source = a
					} else {
						r.destination = a
					}
				})
			}
		case "protocol", "service", "icmp-block", "icmp-type":
			key := map[string]string{"protocol": "value"}[in]
			if key == "" {
				key = "name"
			}
			if t.name != key {
				return fail("INVALID_RULE: invalid '%s' element", in)
			}
			r.element = &vPart{kind: in, attrs: map[string]string{key: t.value}}
			pop()
		case "limit":
			switch {
			case !v2 && t.name != "value":
				return fail("INVALID_RULE: invalid 'limit' element")
			case !v2:
				limit = &vLimit{value: t.value}
				pop()
			case t.name == "value" || t.name == "burst":
				if limitAttrs == nil { // "rule limit …" opens one too
					limitAttrs = map[string]string{}
				}
				limitAttrs[t.name] = t.value
			default: // 2.x: the limit ends at the first token not its attribute
				v, ok := limitAttrs["value"]
				if !ok {
					return fail("INVALID_RULE: invalid 'limit' element")
				}
				limit = &vLimit{value: v}
				if b, ok := limitAttrs["burst"]; ok {
					limit.burst = &b
				}
				limitAttrs = nil
				pop()
				i--
			}
		default:
			if keys, ok := collecting[in]; ok && t.name != "" && slices.Contains(keys, t.name) {
				attrs[t.name] = t.value
				continue
			}
			if t.element == "limit" && slices.Contains([]string{"log", "nflog", "audit", "accept", "drop", "reject", "mark"}, in) {
				stack = append(stack, "limit")
				continue
			}
			p := part(in)
			switch in {
			case "log", "nflog":
				done(func() { r.log = p })
			case "audit":
				done(func() { r.audit = p })
			case "accept", "drop", "reject", "mark":
				done(func() { r.action = p })
			default:
				done(func() { r.element = p })
			}
		}
		if i+1 >= len(toks) {
			return fail("INVALID_RULE: unexpected end of rule")
		}
	}
	if v2 {
		if msg := r.partsError2(db); msg != "" {
			return nil, errors.New(msg)
		}
		if msg := r.check2(); msg != "" {
			return nil, errors.New(msg)
		}
		return r, nil
	}
	if msg := r.check(db); msg != "" {
		return nil, errors.New(msg)
	}
	return r, nil
}

// collecting lists, for each element that gathers attributes, the ones it
// takes (rich.py _import_from_string).
var collecting = map[string][]string{
	"tcp-mss-clamp": {"value"},
	"port":          {"port", "protocol"},
	"source-port":   {"port", "protocol"},
	"forward-port":  {"port", "protocol", "to-port", "to-addr"},
	"masquerade":    {},
	"log":           {"prefix", "level"},
	"nflog":         {"group", "prefix", "queue-size"},
	"audit":         {},
	"accept":        {},
	"drop":          {},
	"reject":        {"type"},
	"mark":          {"set"},
}

func (r *vRule) duplicateElement(el string) string {
	switch {
	case el == "source" && r.source != nil:
		return "more than one 'source' element"
	case el == "destination" && r.destination != nil:
		return "more than one 'destination' element"
	case slices.Contains([]string{"protocol", "service", "port", "icmp-block", "icmp-type", "masquerade", "forward-port", "source-port"}, el) && r.element != nil:
		return "more than one element"
	case (el == "log" || el == "nflog") && r.log != nil:
		return "more than one logging element"
	case el == "audit" && r.audit != nil:
		return "more than one 'audit' element"
	case slices.Contains([]string{"accept", "drop", "reject", "mark"}, el) && r.action != nil:
		return "more than one 'action' element"
	}
	return ""
}

// KeptRule is a rich rule as firewalld 1.3's zone reader keeps it, in the
// string form firewalld reports (Rich_Rule.__str__), with no port or
// protocol names known; ok is false when the reader refuses or skips it.
func KeptRule(text string) (kept string, ok bool) {
	vr, err := parseRuleString(text, NetDB{}, false)
	if err != nil || vr.check(NetDB{}) != "" {
		return "", false
	}
	return vr.String(), true
}
