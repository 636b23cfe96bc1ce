package ruleset

import (
	"net/netip"
	"sort"
)

// indexedChain is a zone's filter chain (fullChain) with the zone's
// source index. Fail2ban's firewallcmd-rich-rules action adds one rule per
// banned address (`rule family="ipv4" source address="203.0.113.7" port
// port="993" protocol="tcp" reject …`), thousands on a busy host, and
// judging cuts the address space into a region per ban: walking every
// rule for every region was quadratic. A client can only be matched by
// the indexed rules whose block holds its address, so a walk visits those
// and the others (services, ports, rules without a plain source), in chain
// order, and skips nothing that could match.
type indexedChain struct {
	entries []entry
	*sourceIndex
}

// sourceIndex locates a zone's rules for one plain source block in its
// chain. The chains of one zone differ only in the order of the zone's
// own services (the requirement's names first), all in one block of the
// same length, so every chain of the zone has its rich rules at the same
// positions and shares one index.
type sourceIndex struct {
	length int // of the chain indexed
	// bySource holds, for each source block, the positions of the
	// entries whose rule has exactly that source (not inverted), in chain
	// order.
	bySource map[netip.Prefix][]int
	// bits are the block lengths bySource holds, per family.
	bits map[string][]int
	// others are the positions of every entry not in bySource.
	others []int
	// forwards are the zone's forward-port rich rules, for the nat pass.
	forwards []*RichRule
}

// indexChain pairs a chain with its zone's index, built on first use.
func (rs *Ruleset) indexChain(z *Zone, entries []entry) *indexedChain {
	idx := rs.indexes[z.Name]
	if idx == nil || idx.length != len(entries) {
		idx = newSourceIndex(z, entries)
		if rs.indexes == nil {
			rs.indexes = map[string]*sourceIndex{}
		}
		rs.indexes[z.Name] = idx
	}
	return &indexedChain{entries: entries, sourceIndex: idx}
}

func newSourceIndex(z *Zone, entries []entry) *sourceIndex {
	idx := &sourceIndex{length: len(entries)}
	for i, e := range entries {
		var a *RuleAddr
		if e.rule != nil {
			a = e.rule.Source
		}
		if a == nil || a.Kind != "address" || a.Invert || !a.ok {
			idx.others = append(idx.others, i)
			continue
		}
		if idx.bySource == nil {
			idx.bySource, idx.bits = map[netip.Prefix][]int{}, map[string][]int{}
		}
		p := a.prefix.Masked()
		if _, seen := idx.bySource[p]; !seen {
			fam := PrefixFamily(p)
			idx.bits[fam] = appendUniqueInt(idx.bits[fam], p.Bits())
		}
		idx.bySource[p] = append(idx.bySource[p], i)
	}
	for i := range z.RichRules {
		if r := &z.RichRules[i]; r.Element == "forward-port" {
			idx.forwards = append(idx.forwards, r)
		}
	}
	return idx
}

// candidates are the positions, in chain order, of the entries that may
// match a client from c.src: every entry outside the index, and the
// indexed ones whose block holds c.src. An entry left out matches no
// such client (matchSource says no for an address outside the block).
// The caller only reads the list (it may be idx.others itself).
func (idx *sourceIndex) candidates(c client) []int {
	var out []int
	if c.src.IsValid() {
		for _, bits := range idx.bits[c.family] {
			if p, err := c.src.Prefix(bits); err == nil && len(idx.bySource[p]) > 0 {
				if out == nil {
					out = append(make([]int, 0, len(idx.others)+len(idx.bySource[p])), idx.others...)
				}
				out = append(out, idx.bySource[p]...)
			}
		}
	}
	if out == nil {
		return idx.others
	}
	sort.Ints(out)
	return out
}

func appendUniqueInt(list []int, n int) []int {
	for _, x := range list {
		if x == n {
			return list
		}
	}
	return append(list, n)
}

// appendFew is appendUnique for a list only its first few values of
// are shown (joinFirst shows two and "…"): past max values it keeps
// none, so that thousands of distinct rules cost no more than a few.
func appendFew(list []string, s string, max int) []string {
	if len(list) >= max {
		return list
	}
	return appendUnique(list, s)
}
