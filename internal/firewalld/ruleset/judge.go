package ruleset

import (
	"net/netip"
	"sort"
	"strings"
)

// CovState is how open a requirement is for one family, worst last.
type CovState int

const (
	CovOpen    CovState = iota // every client of the family gets through
	CovExcept                  // most do: "open except for 10.0.0.0/8"
	CovOnly                    // a minority does: "open only for 203.0.113.0/24"
	CovUnknown                 // depends on facts not held
	CovClosed                  // no client gets through
)

// FamilyCoverage is a requirement judged for one address family.
type FamilyCoverage struct {
	Family string
	State  CovState
	How    string   // what opens it, what refuses it, or what it depends on
	Zones  []string // the zones clients of this family land in
	Note   string   // forwarded, rate-limited, …
}

// Open reports whether clients of the family get through (an exception
// for some sources still counts as open; it is named in the output).
func (f FamilyCoverage) Open() bool { return f.State <= CovExcept }

// Coverage is a requirement judged in one view, per family.
type Coverage struct {
	Families []FamilyCoverage
}

// Of returns the judgement for a family.
func (c Coverage) Of(family string) (FamilyCoverage, bool) {
	for _, f := range c.Families {
		if f.Family == family {
			return f, true
		}
	}
	return FamilyCoverage{}, false
}

// Arrival is where mail clients' packets enter, per family: the
// interfaces (empty: unknown, the default zone decides) and the host's own
// addresses (for rules with a destination).
type Arrival struct {
	Interfaces map[string][]string
	HostAddrs  map[string][]netip.Addr
}

// Judge judges a requirement in a ruleset for each family: every client
// address of the family is tried, one per region of the address space
// that the rules and bindings cut, on each interface clients arrive on.
func Judge(rs *Ruleset, req Requirement, families []string, arr Arrival, explicitZone string) Coverage {
	var cov Coverage
	for _, fam := range families {
		cov.Families = append(cov.Families, judgeFamily(rs, req, fam, arr, explicitZone))
	}
	return cov
}

func judgeFamily(rs *Ruleset, req Requirement, fam string, arr Arrival, explicitZone string) FamilyCoverage {
	ifaces := arr.Interfaces[fam]
	if len(ifaces) == 0 {
		ifaces = []string{""}
	}
	var worst *FamilyCoverage
	var zones []string
	for _, port := range req.Ports {
		spaces := regions(fam, cutPoints(rs, fam, port))
		for _, iface := range ifaces {
			c := client{family: fam, iface: iface, port: port, names: req.Names(), hostAddrs: arr.HostAddrs[fam]}
			fc := judgeSpaces(rs, explicitZone, c, spaces)
			for _, z := range fc.Zones {
				zones = appendUnique(zones, z)
			}
			if iface != "" && len(ifaces) > 1 && !fc.Open() {
				fc.How += " on " + iface
			}
			if worst == nil || fc.State > worst.State {
				fc := fc
				worst = &fc
			}
		}
	}
	worst.Zones = zones
	return *worst
}

// judgeSpaces tries one client per address region and sums up.
func judgeSpaces(rs *Ruleset, explicitZone string, c client, spaces []span) FamilyCoverage {
	fc := FamilyCoverage{Family: c.family}
	var admitted, refused []span
	var acceptHows, refuseHows, notes []string
	for _, s := range spaces {
		c.src = s.lo
		o := judgeClient(rs, explicitZone, c)
		if o.zone != "" {
			fc.Zones = appendUnique(fc.Zones, o.zone)
		}
		if o.note != "" {
			notes = appendUnique(notes, o.note)
		}
		switch {
		case o.v == vUnknown:
			fc.State, fc.How = CovUnknown, o.how
			return fc
		case o.v == vAccept:
			admitted = append(admitted, s)
			acceptHows = appendFew(acceptHows, o.how, 3)
		default:
			refused = append(refused, s)
			refuseHows = appendFew(refuseHows, o.how, 3)
		}
	}
	fc.Note = strings.Join(notes, ", ")
	switch {
	case len(refused) == 0:
		fc.State, fc.How = CovOpen, joinFirst(acceptHows)
	case len(admitted) == 0:
		fc.State, fc.How = CovClosed, joinFirst(refuseHows)
	case coversMost(admitted):
		fc.State = CovExcept
		fc.How = "open except for " + prefixList(mergeSpans(refused)) + " (" + joinFirst(refuseHows) + ")"
	default:
		fc.State = CovOnly
		fc.How = "open only for " + prefixList(mergeSpans(admitted)) + " (" + joinFirst(acceptHows) + ")"
	}
	return fc
}

func joinFirst(list []string) string {
	if len(list) > 2 {
		list = append(list[:2:2], "…")
	}
	return strings.Join(list, ", ")
}

// cutPoints are the address blocks whose bounds can change a verdict on
// the port: zone source bindings, the sources of rich rules that may match
// the port, and the entries of ipsets they use.
func cutPoints(rs *Ruleset, fam string, port Port) []netip.Prefix {
	var out []netip.Prefix
	add := func(s string) {
		if lo, hi, isRange := strings.Cut(s, "-"); isRange {
			l, err1 := netip.ParseAddr(lo)
			h, err2 := netip.ParseAddr(hi)
			if err1 == nil && err2 == nil && !h.Less(l) {
				out = append(out, spanPrefixes(span{l, h})...)
			}
			return
		}
		if p, ok := ParsePrefix(s); ok && PrefixFamily(p) == fam {
			out = append(out, p)
		}
	}
	addSet := func(name string) {
		if set := rs.IPSets[name]; set != nil && len(set.Entries) <= 4096 {
			for _, e := range set.Entries {
				add(e)
			}
		}
	}
	names := make([]string, 0, len(rs.Zones))
	for n := range rs.Zones {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		z := rs.Zones[n]
		for _, s := range z.Sources {
			if strings.HasPrefix(s, "ipset:") {
				addSet(strings.TrimPrefix(s, "ipset:"))
			} else {
				add(s)
			}
		}
		for _, r := range z.RichRules {
			if r.Source == nil || !mayMatchPort(rs, &r, port) {
				continue
			}
			switch r.Source.Kind {
			case "address":
				add(r.Source.Value)
			case "ipset":
				addSet(r.Source.Value)
			}
		}
	}
	return out
}

// mayMatchPort reports whether the rule's element can match the port at
// all, whatever the source: rules for other ports cut nothing.
func mayMatchPort(rs *Ruleset, r *RichRule, port Port) bool {
	switch r.Element {
	case "port", "forward-port":
		return r.Port.Covers(port)
	case "protocol":
		return ProtocolIs(r.Protocol, port.Protocol)
	case "service":
		t, _ := serviceOpens(rs, r.Service, client{port: port})
		return t != no
	case "icmp-block", "icmp-type", "masquerade", "tcp-mss-clamp":
		return false
	}
	return true
}
