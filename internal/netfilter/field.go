package netfilter

import (
	"net/netip"
	"strconv"
	"strings"
)

// tri is a three-valued truth: a match the judge cannot decide is unknown.
type tri int

const (
	no tri = iota
	yes
	unknown
)

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

func (t tri) not() tri {
	switch t {
	case yes:
		return no
	case no:
		return yes
	}
	return unknown
}

// fieldKind says how a packet field compares with a rule's values.
type fieldKind int

const (
	fUnknown fieldKind = iota // the judge does not know this field's value
	fAbsent                   // the packet has no such header: the match fails
	fAddr
	fNum
	fName  // interface names (with nft's trailing-* wildcard), protocol names
	fFlags // ct state, ct status, tcp flags: a set of flag names
)

// field is the value of one packet field for the packet asked about.
type field struct {
	kind  fieldKind
	addr  netip.Addr
	num   uint64
	name  string
	alias []string // other spellings of a name ("tcp" is also 6)
	flags []string
	what  string // for "cannot tell": which field was not known
	// anyIface: the arrival interface is not known, but a client from
	// outside never arrives on lo, and a route back exists.
	anyIface bool
}

// packet is the concrete packet one walk evaluates: the query with one
// source address.
type packet struct {
	q         Query
	src       netip.Addr
	marksKnow bool // no rule sets a mark anywhere: marks are 0
	// conntrack says where the walked base chain runs relative to
	// conntrack (prerouting priority -200): before it a packet has no
	// conntrack entry and "ct state" is invalid.
	conntrack tri
	// natted: a nat rule (redirect, dnat) changed the destination: conntrack
	// status has dnat ("ct status dnat accept" in firewalld's input chain).
	natted bool
	// candidates caches, per long chain, the rules this source may match
	// (rule_index.go).
	candidates map[*Chain][]int
}

// fieldOf evaluates the left-hand side of a match for the packet.
func (p *packet) fieldOf(left any) field {
	m, ok := left.(map[string]any)
	if !ok {
		return field{kind: fUnknown, what: "a non-expression left side"}
	}
	if pl, ok := m["payload"].(map[string]any); ok {
		return p.payload(str(pl["protocol"]), str(pl["field"]))
	}
	if me, ok := m["meta"].(map[string]any); ok {
		return p.meta(str(me["key"]))
	}
	if ct, ok := m["ct"].(map[string]any); ok {
		return p.ct(str(ct["key"]), ct["dir"])
	}
	if fib, ok := m["fib"].(map[string]any); ok {
		return p.fib(str(fib["result"]), strs(fib["flags"]))
	}
	if and, ok := m["&"].([]any); ok && len(and) == 2 {
		return p.masked(and[0], and[1])
	}
	for k := range m {
		return field{kind: fUnknown, what: k + " expression"}
	}
	return field{kind: fUnknown, what: "an empty expression"}
}

func (p *packet) payload(proto, name string) field {
	v4 := !p.q.IPv6
	switch proto {
	case "ip", "ip6":
		if (proto == "ip") != v4 {
			return field{kind: fAbsent}
		}
		switch name {
		case "saddr":
			return field{kind: fAddr, addr: p.src}
		case "daddr":
			if p.q.Dest.IsValid() {
				return field{kind: fAddr, addr: p.q.Dest}
			}
			return field{kind: fUnknown, what: "the destination address"}
		case "protocol", "nexthdr":
			return field{kind: fName, name: "tcp", alias: []string{"6"}}
		case "version":
			if v4 {
				return field{kind: fNum, num: 4}
			}
			return field{kind: fNum, num: 6}
		}
	case "tcp", "th":
		switch name {
		case "dport":
			return field{kind: fNum, num: uint64(p.q.Port)}
		case "flags":
			return field{kind: fFlags, flags: []string{"syn"}}
		}
	case "udp", "udplite", "sctp", "dccp", "icmp", "icmpv6", "ah", "esp", "comp", "igmp":
		return field{kind: fAbsent}
	}
	return field{kind: fUnknown, what: proto + " " + name}
}

func (p *packet) meta(key string) field {
	switch key {
	case "l4proto", "protocol", "nfproto":
	default:
		return p.metaOther(key)
	}
	fam := "ipv4"
	eth := "ip"
	if p.q.IPv6 {
		fam, eth = "ipv6", "ip6"
	}
	switch key {
	case "l4proto":
		return field{kind: fName, name: "tcp", alias: []string{"6"}}
	case "nfproto":
		if p.q.IPv6 {
			return field{kind: fName, name: fam, alias: []string{"10"}}
		}
		return field{kind: fName, name: fam, alias: []string{"2"}}
	}
	return field{kind: fName, name: eth, alias: map[bool][]string{false: {"2048"}, true: {"34525"}}[p.q.IPv6]}
}

func (p *packet) metaOther(key string) field {
	switch key {
	case "iifname", "iif":
		if p.q.Iface == "" {
			return field{kind: fName, anyIface: true, what: "the arrival interface"}
		}
		return field{kind: fName, name: p.q.Iface}
	case "mark":
		if p.marksKnow {
			return field{kind: fNum, num: 0}
		}
	case "pkttype":
		return field{kind: fName, name: "host", alias: []string{"0"}}
	}
	return field{kind: fUnknown, what: "meta " + key}
}

func (p *packet) ct(key string, dir any) field {
	switch p.conntrack {
	case unknown:
		return field{kind: fUnknown, what: "ct " + key + " at conntrack's own priority (-200)"}
	case no:
		if key == "state" {
			return field{kind: fFlags, flags: []string{"invalid"}}
		}
		return field{kind: fUnknown, what: "ct " + key + " before conntrack"}
	}
	if dir != nil {
		return field{kind: fUnknown, what: "ct " + str(dir) + " " + key}
	}
	switch key {
	case "state":
		return field{kind: fFlags, flags: []string{"new"}}
	case "status":
		if p.natted {
			return field{kind: fFlags, flags: []string{"dnat"}}
		}
		return field{kind: fFlags, flags: nil}
	case "direction":
		return field{kind: fName, name: "original", alias: []string{"0"}}
	case "l3proto":
		return p.meta("nfproto")
	case "protocol":
		return p.meta("l4proto")
	case "mark":
		if p.marksKnow {
			return field{kind: fNum, num: 0}
		}
	}
	return field{kind: fUnknown, what: "ct " + key}
}

// fib: the packet is addressed to the host ("type local"); a reverse-path
// lookup (fib saddr … oif) finds the arrival interface: the question is
// about a client whose packets arrive there and whose replies leave there.
func (p *packet) fib(result string, flags []string) field {
	hasSaddr := contains(flags, "saddr")
	switch {
	case result == "type" && contains(flags, "daddr"):
		return field{kind: fName, name: "local", alias: []string{"2"}}
	case (result == "oif" || result == "oifname") && hasSaddr:
		if p.q.Iface == "" { // some interface, not "missing"
			return field{kind: fName, anyIface: true, what: "the arrival interface"}
		}
		return field{kind: fName, name: p.q.Iface}
	case result == "type" && hasSaddr:
		return field{kind: fName, name: "unicast", alias: []string{"1"}}
	}
	return field{kind: fUnknown, what: "fib " + strings.Join(flags, " . ") + " " + result}
}

// masked evaluates "FIELD & MASK" for flag fields (tcp flags & (syn|ack)).
func (p *packet) masked(left, mask any) field {
	f := p.fieldOf(left)
	if f.kind != fFlags {
		if f.kind == fAbsent {
			return f
		}
		return field{kind: fUnknown, what: "a bitwise expression"}
	}
	keep := flagList(mask)
	var out []string
	for _, fl := range f.flags {
		if contains(keep, fl) {
			out = append(out, fl)
		}
	}
	return field{kind: fFlags, flags: out}
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func strs(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = append(out, str(e))
		}
	case string:
		out = append(out, x)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// flagList reads a flag value: "syn", ["syn", "ack"] (nft 1.0) or
// {"|": ["syn", "ack"]} (nft 1.1), nested.
func flagList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, flagList(e)...)
		}
		return out
	case map[string]any:
		if or, ok := x["|"]; ok {
			return flagList(or)
		}
	}
	return nil
}
