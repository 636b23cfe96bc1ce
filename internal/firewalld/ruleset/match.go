package ruleset

import (
	"net/netip"
	"strings"
)

// tri is a three-valued match: a rule matches a client, does not, or
// depends on something the facts do not hold (an ipset's entries, a MAC).
type tri int

const (
	no tri = iota
	yes
	maybe
)

func (t tri) invert(inv bool) tri {
	if !inv || t == maybe {
		return t
	}
	if t == yes {
		return no
	}
	return yes
}

// client is one connection attempt as the ruleset sees it.
type client struct {
	family string
	src    netip.Addr
	iface  string
	port   Port
	// names are the service names that are the requirement itself: the
	// chain tries a zone's services of these names first. They open the
	// requirement only as their definition says (an override that drops
	// the port does not open it).
	names []string
	// hostAddrs are the mail host's own addresses of the family, for
	// destination matches; empty when unknown.
	hostAddrs []netip.Addr
}

// matchSource is nftables.py _rule_addr_fragment for saddr: an address of
// the other family never matches (nft adds an nfproto dependency to an
// ip/ip6 payload match, inverted or not).
func matchSource(rs *Ruleset, a *RuleAddr, c client) (tri, string) {
	if a == nil {
		return yes, ""
	}
	switch a.Kind {
	case "address":
		p, ok := a.prefix, a.ok
		if !ok || PrefixFamily(p) != c.family {
			return no, ""
		}
		return boolTri(p.Contains(c.src)).invert(a.Invert), ""
	case "ipset":
		t, why := matchIPSet(rs, a.Value, c)
		return t.invert(a.Invert), why
	}
	return maybe, "a rule for MAC " + a.Value + " (which clients arrive with that MAC is not known)"
}

// matchIPSet looks the client up in an ipset's entries, as far as they are
// known and the type is one of addresses.
func matchIPSet(rs *Ruleset, name string, c client) (tri, string) {
	set, ok := rs.IPSets[name]
	if !ok || set == nil {
		return maybe, "ipset " + name + " (its entries could not be read)"
	}
	if set.Type != "hash:ip" && set.Type != "hash:net" {
		return maybe, "ipset " + name + " of type " + set.Type + " (not judged)"
	}
	fam := set.Family
	if fam == "" {
		fam = IPv4
	}
	if fam != c.family {
		return no, ""
	}
	return boolTri(set.entryIndex().holds(c.src)), ""
}

// matchDestination judges daddr against the host's own addresses: a rule
// for a destination opens (or closes) the port for everyone only when it
// holds every address clients may connect to.
func matchDestination(rs *Ruleset, a *RuleAddr, c client) (tri, string) {
	if a == nil {
		return yes, ""
	}
	why := "a rule for destination " + a.Value + " (which address clients connect to is not known)"
	if a.Kind != "address" {
		return maybe, why
	}
	p, ok := a.prefix, a.ok
	if !ok || PrefixFamily(p) != c.family {
		return no, ""
	}
	if len(c.hostAddrs) == 0 {
		return maybe, why
	}
	in := 0
	for _, h := range c.hostAddrs {
		if p.Contains(h) {
			in++
		}
	}
	switch in {
	case 0:
		return no.invert(a.Invert), ""
	case len(c.hostAddrs):
		return yes.invert(a.Invert), ""
	}
	return maybe, why
}

func boolTri(b bool) tri {
	if b {
		return yes
	}
	return no
}

// protocolNumbers are /etc/protocols' names for the transport protocols a
// requirement can name, since <protocol value=…/> takes either.
var protocolNumbers = map[string]string{"6": "tcp", "17": "udp", "132": "sctp", "33": "dccp"}

func ProtocolIs(value, proto string) bool {
	value = strings.ToLower(value)
	if n, ok := protocolNumbers[value]; ok {
		value = n
	}
	return value == proto
}

// matchSourcePort: clients draw their source port from an ephemeral range
// (Linux 32768-60999, Windows and BSD 49152-65535), so a source-port
// element covering 1024-65535 matches every client, one below 1024 none.
func matchSourcePort(p Port, c client) tri {
	if p.Protocol != c.port.Protocol {
		return no
	}
	lo, hi, err := p.Range()
	if err != nil {
		return no
	}
	switch {
	case lo <= 1024 && hi >= 65535:
		return yes
	case hi < 1024:
		return no
	}
	return maybe
}

// serviceOpens reports whether a service definition opens the client's
// port (by port, or by a <protocol> of the port's protocol).
func serviceOpens(rs *Ruleset, name string, c client) (tri, string) {
	s, ok := rs.Service(name)
	if !ok {
		return maybe, "service " + name + " (its definition could not be read)"
	}
	if len(s.Families) > 0 && c.family != "" && !hasString(s.Families, c.family) {
		return no, ""
	}
	for _, p := range s.Ports {
		if p.Covers(c.port) {
			return yes, ""
		}
	}
	for _, p := range s.Protocols {
		if ProtocolIs(p, c.port.Protocol) {
			return yes, ""
		}
	}
	return no, ""
}

// matchRule is one rich rule against one client (nftables.py
// _rich_rule_family_fragment, _source_fragment, _destination_fragment and
// the element's own fragment). Forward-port rules are matched by the nat
// pass, not here.
func matchRule(rs *Ruleset, r *RichRule, c client) (tri, string) {
	if r.Family != "" && r.Family != c.family {
		return no, ""
	}
	result, why := yes, ""
	combine := func(t tri, w string) {
		switch {
		case t == no || result == no:
			result = no
		case t == maybe:
			result, why = maybe, w
		}
	}
	combine(matchSource(rs, r.Source, c))
	combine(matchDestination(rs, r.Destination, c))
	switch r.Element {
	case "":
	case "service":
		combine(serviceOpens(rs, r.Service, c))
	case "port":
		combine(boolTri(r.Port.Covers(c.port)), "")
	case "protocol":
		combine(boolTri(ProtocolIs(r.Protocol, c.port.Protocol)), "")
	case "source-port":
		t := matchSourcePort(r.Port, c)
		combine(t, "a rule for source ports "+r.Port.String()+" (clients pick their own source port)")
	default: // icmp-block, icmp-type, masquerade, tcp-mss-clamp, forward-port
		combine(no, "")
	}
	if result == no {
		why = ""
	}
	return result, why
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
