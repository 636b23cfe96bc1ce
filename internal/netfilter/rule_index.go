package netfilter

import (
	"net/netip"
	"sort"
)

// indexFrom is the chain length from which a walk skips, by source
// address, the rules that cannot match (shorter chains are walked rule by
// rule: the index would cost more than it saves). judge.indexFrom holds
// it, so that a test can compare walks with and without the index.
const indexFrom = 64

// sourceIndex lets a walk skip the rules whose plain source match cannot
// hold for the packet's address. Fail2ban's firewallcmd-rich-rules
// banaction leaves one rule per banned address in firewalld's zone chain,
// and "any address" is judged once per piece of the address space those
// rules cut: walked rule by rule, the cost is pieces × rules, quadratic in
// the bans.
type sourceIndex struct {
	free  []int                  // rules without a plain source match: always walked
	bySrc map[netip.Prefix][]int // rules guarded by `ip saddr P` / `ip6 saddr P`
	bits  []int                  // the prefix lengths bySrc holds
}

// sourceGuard is a rule's plain source match: a `==` match of ip or ip6
// saddr with one address or prefix, preceded by nothing but other matches
// (a statement before it, such as `meta mark set`, acts even when the
// match then fails, so such a rule is never skipped).
func sourceGuard(r Rule) (netip.Prefix, bool) {
	for _, e := range r.Exprs {
		m, _ := e.(map[string]any)
		mm, ok := m["match"].(map[string]any)
		if !ok {
			return netip.Prefix{}, false
		}
		if str(mm["op"]) != "==" || !(isSaddr(mm["left"], "ip") || isSaddr(mm["left"], "ip6")) {
			continue
		}
		var p netip.Prefix
		switch v := mm["right"].(type) {
		case string:
			a, err := netip.ParseAddr(v)
			if err != nil {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(a, a.BitLen())
		case map[string]any:
			pm, ok := v["prefix"].(map[string]any)
			if !ok {
				return netip.Prefix{}, false
			}
			var err error
			if p, err = parsePrefix(pm); err != nil {
				return netip.Prefix{}, false
			}
		default:
			return netip.Prefix{}, false
		}
		// ip saddr on an IPv6 address cannot be: nft refuses it, and
		// keeping it unguarded keeps the judge's own verdict on it.
		if isSaddr(mm["left"], "ip") != p.Addr().Is4() {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	return netip.Prefix{}, false
}

func buildSourceIndex(c *Chain) *sourceIndex {
	ix := &sourceIndex{bySrc: map[netip.Prefix][]int{}}
	seenBits := map[int]bool{}
	for i, r := range c.Rules {
		p, ok := sourceGuard(r)
		if !ok {
			ix.free = append(ix.free, i)
			continue
		}
		ix.bySrc[p] = append(ix.bySrc[p], i)
		if !seenBits[p.Bits()] {
			seenBits[p.Bits()] = true
			ix.bits = append(ix.bits, p.Bits())
		}
	}
	return ix
}

// candidates are the rules a packet from src may match, in chain order:
// the unguarded ones and those whose source prefix holds src.
func (ix *sourceIndex) candidates(src netip.Addr) []int {
	out := append([]int(nil), ix.free...)
	for _, b := range ix.bits {
		p, err := src.Prefix(b)
		if err != nil {
			continue // a prefix length of the other family
		}
		out = append(out, ix.bySrc[p]...)
	}
	sort.Ints(out)
	return out
}

// nextRule is the first rule at or after i the packet may match
// (len(c.Rules) when none): the walk's way past rules the index rules out.
func (w *walker) nextRule(c *Chain, i int) int {
	if len(c.Rules) < w.j.indexFrom {
		return i
	}
	cands, ok := w.pkt.candidates[c]
	if !ok {
		ix := w.j.sources[c]
		if ix == nil {
			ix = buildSourceIndex(c)
			w.j.sources[c] = ix
		}
		cands = ix.candidates(w.pkt.src)
		w.pkt.candidates[c] = cands
	}
	k := sort.SearchInts(cands, i)
	if k == len(cands) {
		return len(c.Rules)
	}
	return cands[k]
}
