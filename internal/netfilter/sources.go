package netfilter

import (
	"net/netip"
	"sort"
)

// maxSources bounds how many source ranges "any address" is split into
// (each is judged once): a ban set of 50,000 addresses makes 100,001.
const maxSources = 250_000

// addrRange is an inclusive range of addresses.
type addrRange struct{ lo, hi netip.Addr }

// sourceRepresentatives splits the asked source prefix at every boundary of
// every source-address match on the path (values, prefixes, ranges, set
// elements): within each piece every rule sees the same answer, so one
// address per piece, its first, stands for the piece.
func sourceRepresentatives(rs *Ruleset, chains []baseChain, src netip.Prefix) ([]netip.Addr, bool) {
	if src.IsSingleIP() {
		return []netip.Addr{src.Addr()}, false
	}
	proto := sourceProto(src)
	cuts := newSourceCuts(src)
	seen := map[*Table]bool{}
	for _, bc := range chains {
		if seen[bc.table] {
			continue
		}
		seen[bc.table] = true
		for _, c := range bc.table.Chains {
			for _, r := range c.Rules {
				for _, e := range r.Exprs {
					collectSourceCuts(bc.table, e, proto, cuts)
					if len(cuts.at) > maxSources {
						return nil, true
					}
				}
			}
		}
	}
	return cuts.sorted(), false
}

// sourceCuts are the boundaries of source matches inside one asked prefix:
// between two consecutive ones every match gives the same answer.
type sourceCuts struct {
	first, last netip.Addr
	at          map[netip.Addr]bool
}

func newSourceCuts(src netip.Prefix) *sourceCuts {
	first := src.Addr()
	return &sourceCuts{first: first, last: lastAddr(src), at: map[netip.Addr]bool{first: true}}
}

// add records where the interval [lo, hi] begins and where it ends (the
// address after hi), when inside the prefix.
func (c *sourceCuts) add(lo, hi netip.Addr) {
	if lo.BitLen() != c.first.BitLen() {
		return
	}
	if lo.Compare(c.first) > 0 && lo.Compare(c.last) <= 0 {
		c.at[lo] = true
	}
	if n := hi.Next(); n.IsValid() && n.Compare(c.first) > 0 && n.Compare(c.last) <= 0 {
		c.at[n] = true
	}
}

// sorted lists the boundaries in address order.
func (c *sourceCuts) sorted() []netip.Addr {
	out := make([]netip.Addr, 0, len(c.at))
	for a := range c.at {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

// sourceProto is the nft payload protocol of the prefix's family.
func sourceProto(src netip.Prefix) string {
	if src.Addr().Is6() {
		return "ip6"
	}
	return "ip"
}

// collectSourceCuts finds the source-address values one expression
// compares with (a match or a verdict map on saddr, alone or in a
// concatenation) and reports each as an interval.
func collectSourceCuts(t *Table, e any, proto string, cuts *sourceCuts) {
	m, ok := e.(map[string]any)
	if !ok {
		return
	}
	var left, right any
	isMap := false
	if mm, ok := m["match"].(map[string]any); ok {
		left, right = mm["left"], mm["right"]
	} else if vm, ok := m["vmap"].(map[string]any); ok {
		left, right, isMap = vm["key"], vm["data"], true
	} else {
		return
	}
	component := -1
	if isSaddr(left, proto) {
		component = 0
	} else if lm, ok := left.(map[string]any); ok {
		parts, _ := lm["concat"].([]any)
		for i, p := range parts {
			if isSaddr(p, proto) {
				component = i
			}
		}
		if component < 0 {
			return
		}
		component++ // 1-based: inside a concatenation
	} else {
		return
	}
	for _, v := range rightValues(t, right, isMap) {
		if component > 0 {
			vm, _ := v.(map[string]any)
			parts, _ := vm["concat"].([]any)
			if len(parts) < component {
				continue
			}
			v = parts[component-1]
		}
		if lo, hi, ok := addrInterval(v); ok {
			cuts.add(lo, hi)
		}
	}
}

func isSaddr(v any, proto string) bool {
	m, _ := v.(map[string]any)
	pl, _ := m["payload"].(map[string]any)
	return pl != nil && str(pl["protocol"]) == proto && str(pl["field"]) == "saddr"
}

// rightValues lists the values a match's right side holds.
func rightValues(t *Table, right any, isMap bool) []any {
	if s, ok := right.(string); ok && len(s) > 0 && s[0] == '@' {
		if set := t.Sets[s[1:]]; set != nil {
			return set.Elements
		}
		return nil
	}
	if m, ok := right.(map[string]any); ok {
		if list, ok := m["set"].([]any); ok {
			if !isMap {
				return list
			}
			var keys []any
			for _, e := range list {
				if pair, ok := e.([]any); ok && len(pair) == 2 {
					keys = append(keys, unwrapElem(pair[0]))
				}
			}
			return keys
		}
	}
	return []any{right}
}

// appendRange adds [lo, hi] to sorted ranges, merging with the last one
// when adjacent.
func appendRange(rs []addrRange, lo, hi netip.Addr) []addrRange {
	if n := len(rs); n > 0 && rs[n-1].hi.Next() == lo {
		rs[n-1].hi = hi
		return rs
	}
	return append(rs, addrRange{lo, hi})
}

// rangesToPrefixes writes ranges as the fewest prefixes covering them.
func rangesToPrefixes(rs []addrRange) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range rs {
		lo := r.lo
		for {
			bits := lo.BitLen()
			for b := 0; b <= lo.BitLen(); b++ {
				p := netip.PrefixFrom(lo, b)
				if p.Masked().Addr() == lo && lastAddr(p).Compare(r.hi) <= 0 {
					bits = b
					break
				}
			}
			p := netip.PrefixFrom(lo, bits)
			out = append(out, p)
			end := lastAddr(p)
			if end.Compare(r.hi) >= 0 || !end.Next().IsValid() {
				break
			}
			lo = end.Next()
		}
	}
	return out
}
