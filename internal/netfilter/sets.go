package netfilter

import (
	"net/netip"
	"sort"
)

// addrIndex is a named set of addresses, prefixes and ranges as sorted,
// merged intervals, so that a lookup in a fail2ban ban set of 100,000
// addresses costs a binary search, not a scan.
type addrIndex struct {
	lo, hi []netip.Addr
}

func (x *addrIndex) contains(a netip.Addr) bool {
	i := sort.Search(len(x.lo), func(i int) bool { return x.lo[i].Compare(a) > 0 })
	return i > 0 && a.Compare(x.hi[i-1]) <= 0
}

// set finds a named set in the walked table.
func (w *walker) set(name string) *Set {
	return w.table.Sets[name]
}

// addrIndex builds (once per set) the interval index, or nil when an
// element is not an address, prefix or range.
func (w *walker) addrIndex(s *Set) *addrIndex {
	if idx, ok := w.j.index[s]; ok {
		return idx
	}
	idx := buildAddrIndex(s.Elements)
	w.j.steps += len(s.Elements)
	w.j.index[s] = idx
	return idx
}

func buildAddrIndex(elems []any) *addrIndex {
	type iv struct{ lo, hi netip.Addr }
	ivs := make([]iv, 0, len(elems))
	for _, e := range elems {
		lo, hi, ok := addrInterval(e)
		if !ok {
			return nil
		}
		ivs = append(ivs, iv{lo, hi})
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].lo.Compare(ivs[j].lo) < 0 })
	idx := &addrIndex{}
	for _, v := range ivs {
		n := len(idx.hi)
		if n > 0 && v.lo.Compare(idx.hi[n-1]) <= 0 {
			if v.hi.Compare(idx.hi[n-1]) > 0 {
				idx.hi[n-1] = v.hi
			}
			continue
		}
		idx.lo, idx.hi = append(idx.lo, v.lo), append(idx.hi, v.hi)
	}
	return idx
}

// addrInterval reads an address element as [lo, hi].
func addrInterval(e any) (lo, hi netip.Addr, ok bool) {
	switch x := e.(type) {
	case string:
		a, err := netip.ParseAddr(x)
		return a, a, err == nil
	case map[string]any:
		if p, ok := x["prefix"].(map[string]any); ok {
			pfx, err := parsePrefix(p)
			if err != nil {
				return lo, hi, false
			}
			return pfx.Addr(), lastAddr(pfx), true
		}
		if r, ok := x["range"].([]any); ok && len(r) == 2 {
			a, err1 := netip.ParseAddr(str(r[0]))
			b, err2 := netip.ParseAddr(str(r[1]))
			return a, b, err1 == nil && err2 == nil && a.BitLen() == b.BitLen()
		}
		if inner, ok := x["elem"].(map[string]any); ok {
			return addrInterval(inner["val"])
		}
	}
	return lo, hi, false
}

// lastAddr is the highest address in a (masked) prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().As16()
	off := 0
	if p.Addr().Is4() {
		off = 12
	}
	for i := p.Bits(); i < p.Addr().BitLen(); i++ {
		b[off+i/8] |= 0x80 >> (i % 8)
	}
	a := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		return a.Unmap()
	}
	return a
}
