package fwconfig

import (
	"fmt"

	"github.com/beevik/etree"
)

// elementSpec is an IO_Object's PARSER_REQUIRED_ELEMENT_ATTRS and
// PARSER_OPTIONAL_ELEMENT_ATTRS: the elements a reader knows, anywhere in
// the file (firewalld checks names, not nesting), and their attributes.
type elementSpec struct {
	required map[string][]string // element -> attributes it must have
	optional map[string][]string
}

// check is IO_Object.parser_check_element_attrs: an unknown element or
// attribute is a PARSE_ERROR that fails the whole configuration.
func (s elementSpec) check(el *etree.Element) string {
	names := []string{}
	for _, a := range el.Attr {
		names = append(names, a.Key)
	}
	remove := func(k string) bool {
		for i, n := range names {
			if n == k {
				names = append(names[:i], names[i+1:]...)
				return true
			}
		}
		return false
	}
	req, found := s.required[el.Tag]
	for _, k := range req {
		if !remove(k) {
			return fmt.Sprintf("PARSE_ERROR: Missing attribute %s for %s", k, el.Tag)
		}
	}
	if opt, ok := s.optional[el.Tag]; ok {
		found = true
		for _, k := range opt {
			remove(k)
		}
	}
	if !found {
		return "PARSE_ERROR: Unexpected element " + el.Tag
	}
	if len(names) > 0 {
		return fmt.Sprintf("PARSE_ERROR: %s: Unexpected attribute %s", el.Tag, names[0])
	}
	return ""
}

// saxWalk calls start and end for every element in document order, as
// xml.sax reports them; it stops at the first refusal.
func saxWalk(el *etree.Element, start, end func(*etree.Element) string) string {
	if msg := start(el); msg != "" {
		return msg
	}
	for _, c := range el.ChildElements() {
		if msg := saxWalk(c, start, end); msg != "" {
			return msg
		}
	}
	return end(el)
}

func attr(el *etree.Element, k string) (string, bool) {
	a := el.SelectAttr(k)
	if a == nil {
		return "", false
	}
	return a.Value, true
}

// keyError is what firewalld fails with when a reader indexes an
// attribute the parser tables call optional (Python's KeyError).
func keyError(el *etree.Element, k string) string {
	return fmt.Sprintf("KeyError '%s': firewalld's reader needs attribute %s on <%s>", k, k, el.Tag)
}

var ruleParts = elementSpec{
	required: map[string][]string{
		"short": nil, "description": nil, "service": {"name"}, "port": {"port", "protocol"},
		"icmp-block": {"name"}, "icmp-type": {"name"}, "forward-port": {"port", "protocol"}, "rule": nil,
		"source": nil, "destination": nil, "protocol": {"value"}, "source-port": {"port", "protocol"},
		"log": nil, "nflog": nil, "audit": nil, "accept": nil, "reject": nil, "drop": nil,
		"mark": {"set"}, "limit": {"value"},
	},
	optional: map[string][]string{
		"forward-port": {"to-port", "to-addr"}, "rule": {"family", "priority"},
		"source": {"address", "mac", "invert", "family", "ipset"}, "destination": {"address", "invert", "ipset"},
		"log": {"prefix", "level"}, "nflog": {"group", "prefix", "queue-size"}, "reject": {"type"},
		"tcp-mss-clamp": {"value"},
	},
}

// withParts is a zone's or policy's spec: the shared rule parts plus its own.
func withParts(required, optional map[string][]string) elementSpec {
	s := elementSpec{required: map[string][]string{}, optional: map[string][]string{}}
	for _, m := range []struct{ from, to map[string][]string }{
		{ruleParts.required, s.required}, {ruleParts.optional, s.optional}, {required, s.required}, {optional, s.optional},
	} {
		for k, v := range m.from {
			m.to[k] = v
		}
	}
	return s
}

var zoneSpec = withParts(
	map[string][]string{"zone": nil, "forward": nil, "interface": {"name"}, "icmp-block-inversion": nil},
	map[string][]string{"zone": {"name", "immutable", "target", "version"}, "masquerade": {"enabled"}},
)

var policySpec = withParts(
	map[string][]string{"policy": {"target"}, "masquerade": nil, "ingress-zone": {"name"}, "egress-zone": {"name"}},
	map[string][]string{"policy": {"version", "priority"}},
)

// zoneSpecs and policySpecs are the specs per release: 2.x adds a zone's
// ingress-priority and egress-priority (core/io/zone.py) and a limit's
// burst (zone.py, policy.py), which 1.3 refuses as unexpected attributes.
var (
	zoneSpecs = map[RuleSet]elementSpec{
		Rules13: zoneSpec,
		Rules2:  zoneSpec.withOptional(map[string][]string{"zone": {"ingress-priority", "egress-priority"}, "limit": {"burst"}}),
	}
	policySpecs = map[RuleSet]elementSpec{
		Rules13: policySpec,
		Rules2:  policySpec.withOptional(map[string][]string{"limit": {"burst"}}),
	}
)

// withOptional is a copy of s with more optional attributes.
func (s elementSpec) withOptional(more map[string][]string) elementSpec {
	out := elementSpec{required: s.required, optional: map[string][]string{}}
	for k, v := range s.optional {
		out.optional[k] = v
	}
	for k, v := range more {
		out.optional[k] = append(append([]string(nil), out.optional[k]...), v...)
	}
	return out
}

var serviceSpec = elementSpec{
	required: map[string][]string{"short": nil, "description": nil, "service": nil},
	optional: map[string][]string{"service": {"name", "version"}, "port": {"port", "protocol"}, "protocol": {"value"},
		"module": {"name"}, "destination": {"ipv4", "ipv6"}, "source-port": {"port", "protocol"},
		"include": {"service"}, "helper": {"name"}},
}

var ipsetSpec = elementSpec{
	required: map[string][]string{"short": nil, "description": nil, "ipset": {"type"}, "option": {"name"}, "entry": nil},
	optional: map[string][]string{"ipset": {"version"}, "option": {"value"}},
}

var icmptypeSpec = elementSpec{
	required: map[string][]string{"short": nil, "description": nil, "icmptype": nil},
	optional: map[string][]string{"icmptype": {"name", "version"}, "destination": {"ipv4", "ipv6"}},
}

var helperSpec = elementSpec{
	required: map[string][]string{"short": nil, "description": nil, "helper": {"module"}},
	optional: map[string][]string{"helper": {"name", "version", "family"}, "port": {"port", "protocol"}},
}
