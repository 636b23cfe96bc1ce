package ruleset

import (
	"net/netip"
	"sort"
	"strings"
)

// Families firewalld filters separately (nfproto ipv4/ipv6).
const (
	IPv4 = "ipv4"
	IPv6 = "ipv6"
)

// FamilyName is "IPv4" or "IPv6", for output.
func FamilyName(f string) string {
	if f == IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

// ParsePrefix reads an address or CIDR as firewalld's checkIPnMask and
// checkIP6nMask accept it (functions.py): "192.0.2.1", "192.0.2.0/24",
// "192.0.2.0/255.255.255.0", "2001:db8::/32". Host bits are cleared, as
// nftables.py _rule_addr_fragment does with strict=False.
func ParsePrefix(s string) (netip.Prefix, bool) {
	addrText, maskText, hasMask := strings.Cut(strings.TrimSpace(s), "/")
	addr, err := netip.ParseAddr(addrText)
	if err != nil || addr.Zone() != "" {
		return netip.Prefix{}, false
	}
	addr = addr.Unmap()
	bits := addr.BitLen()
	if hasMask {
		if m, err := netip.ParseAddr(maskText); err == nil && addr.Is4() && m.Is4() {
			ones, ok := maskOnes(m)
			if !ok {
				return netip.Prefix{}, false
			}
			bits = ones
		} else {
			n := 0
			for _, c := range maskText {
				if c < '0' || c > '9' || n > 128 {
					return netip.Prefix{}, false
				}
				n = n*10 + int(c-'0')
			}
			if maskText == "" || n > addr.BitLen() {
				return netip.Prefix{}, false
			}
			bits = n
		}
	}
	p, err := addr.Prefix(bits)
	return p, err == nil
}

func maskOnes(m netip.Addr) (int, bool) {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	ones := 0
	for v&0x80000000 != 0 {
		ones++
		v <<= 1
	}
	return ones, v == 0
}

// PrefixFamily is "ipv4" or "ipv6".
func PrefixFamily(p netip.Prefix) string {
	if p.Addr().Is4() {
		return IPv4
	}
	return IPv6
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// span is an inclusive address range.
type span struct{ lo, hi netip.Addr }

func familySpan(f string) span {
	if f == IPv6 {
		return span{netip.IPv6Unspecified(), lastAddr(netip.MustParsePrefix("::/0"))}
	}
	return span{netip.IPv4Unspecified(), netip.MustParseAddr("255.255.255.255")}
}

// regions cuts the family's address space at the bounds of every prefix
// given, so that within one region every prefix either holds all addresses
// or none: judging one address per region judges them all.
func regions(family string, prefixes []netip.Prefix) []span {
	all := familySpan(family)
	cuts := map[netip.Addr]bool{all.lo: true}
	for _, p := range prefixes {
		if PrefixFamily(p) != family {
			continue
		}
		cuts[p.Masked().Addr()] = true
		if next := lastAddr(p).Next(); next.IsValid() {
			cuts[next] = true
		}
	}
	starts := make([]netip.Addr, 0, len(cuts))
	for a := range cuts {
		starts = append(starts, a)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Less(starts[j]) })
	out := make([]span, len(starts))
	for i, lo := range starts {
		hi := all.hi
		if i+1 < len(starts) {
			hi = starts[i+1].Prev()
		}
		out[i] = span{lo, hi}
	}
	return out
}

// spanPrefixes writes an address range as the fewest CIDR blocks.
func spanPrefixes(s span) []netip.Prefix {
	var out []netip.Prefix
	lo := s.lo
	for lo.IsValid() && !s.hi.Less(lo) {
		bits := lo.BitLen()
		// Widen while the block stays aligned at lo and within hi.
		for bits > 0 {
			p, _ := lo.Prefix(bits - 1)
			if p.Addr() != lo || s.hi.Less(lastAddr(p)) {
				break
			}
			bits--
		}
		p, _ := lo.Prefix(bits)
		out = append(out, p)
		lo = lastAddr(p).Next()
	}
	return out
}

// mergeSpans joins adjacent ranges (the input is sorted).
func mergeSpans(in []span) []span {
	var out []span
	for _, s := range in {
		if n := len(out); n > 0 && out[n-1].hi.Next() == s.lo {
			out[n-1].hi = s.hi
			continue
		}
		out = append(out, s)
	}
	return out
}

// coversMost reports whether the ranges hold at least half of the
// family's addresses.
func coversMost(spans []span) bool {
	var total float64 // a /n block is 2^-n of the space
	for _, s := range spans {
		for _, p := range spanPrefixes(s) {
			total += pow2(-float64(p.Bits()))
		}
	}
	return total >= 0.5
}

func pow2(e float64) float64 {
	v := 1.0
	for ; e < 0; e++ {
		v /= 2
	}
	return v
}

// prefixList is "10.0.0.0/8, 192.0.2.7" (single addresses without /32).
func prefixList(spans []span) string {
	var words []string
	for _, s := range spans {
		for _, p := range spanPrefixes(s) {
			if p.IsSingleIP() {
				words = append(words, p.Addr().String())
			} else {
				words = append(words, p.String())
			}
		}
	}
	if len(words) > 4 {
		words = append(words[:4], "…")
	}
	return strings.Join(words, ", ")
}
