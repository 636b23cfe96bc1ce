package ruleset

import (
	"net/netip"
	"strings"
)

// ipsetIndex is an ipset's entries parsed once: judging tries a client per
// address region, and an ipset of thousands of entries cuts thousands of
// regions, so parsing every entry for every client was quadratic.
type ipsetIndex struct {
	blocks map[netip.Prefix]bool // address and CIDR entries
	bits   []int                 // the block lengths blocks holds
	ranges []span                // "lo-hi" entries
}

// entryIndex parses the entries on first use: an address or CIDR as
// ParsePrefix reads it, "lo-hi" as a range; anything else matches nothing.
func (set *IPSet) entryIndex() *ipsetIndex {
	if set.index != nil {
		return set.index
	}
	idx := &ipsetIndex{blocks: map[netip.Prefix]bool{}}
	for _, e := range set.Entries {
		if lo, hi, isRange := strings.Cut(e, "-"); isRange {
			l, err1 := netip.ParseAddr(lo)
			h, err2 := netip.ParseAddr(hi)
			if err1 == nil && err2 == nil {
				idx.ranges = append(idx.ranges, span{l, h})
			}
			continue
		}
		if p, ok := ParsePrefix(e); ok && !idx.blocks[p] {
			idx.blocks[p] = true
			idx.bits = appendUniqueInt(idx.bits, p.Bits())
		}
	}
	set.index = idx
	return idx
}

// holds reports whether an entry holds a: a block of a's family and
// length that contains it, or a range around it.
func (idx *ipsetIndex) holds(a netip.Addr) bool {
	for _, bits := range idx.bits {
		if p, err := a.Prefix(bits); err == nil && idx.blocks[p] {
			return true
		}
	}
	for _, r := range idx.ranges {
		if !a.Less(r.lo) && !r.hi.Less(a) {
			return true
		}
	}
	return false
}
