package netfilter

import "net/netip"

// Judger answers many queries against one ruleset (a check asks one per
// required port and family). What does not depend on the port is built
// once: whether any rule sets a mark, the source index of each long chain
// (rule_index.go), and for each family, source and arrival interface the
// split of the source addresses into pieces and their classes
// (source_classes.go). A Judger is not safe for concurrent use, and the
// ruleset must not change while it is used.
type Judger struct {
	rs         *Ruleset
	from       int // chains this long or longer are indexed by source
	marksKnown bool
	sources    map[*Chain]*sourceIndex
	sets       map[*Set]*addrIndex
	splits     map[splitKey]*sourceSplit
	// chainClasses and shapes serve source_classes.go.
	chainClasses map[*Chain]*chainClasses
	shapes       map[string]int
}

// NewJudger prepares the judging of queries against rs.
func NewJudger(rs *Ruleset) *Judger { return newJudger(rs, indexFrom) }

// Ruleset is the ruleset jr judges.
func (jr *Judger) Ruleset() *Ruleset { return jr.rs }

func newJudger(rs *Ruleset, from int) *Judger {
	return &Judger{rs: rs, from: from, marksKnown: !setsMarks(rs),
		sources: map[*Chain]*sourceIndex{}, sets: map[*Set]*addrIndex{}, splits: map[splitKey]*sourceSplit{},
		chainClasses: map[*Chain]*chainClasses{}, shapes: map[string]int{}}
}

// splitKey is what the base chains on the path and the source pieces
// depend on.
type splitKey struct {
	ipv6  bool
	iface string
	src   netip.Prefix
}

// sourceSplit is one question's base chains and source pieces.
type sourceSplit struct {
	chains  []baseChain
	reps    []netip.Addr
	tooMany bool
	classes *sourceClasses // nil: every piece is walked
}

func (jr *Judger) split(q Query, src netip.Prefix) *sourceSplit {
	key := splitKey{ipv6: q.IPv6, iface: q.Iface, src: src}
	if s, ok := jr.splits[key]; ok {
		return s
	}
	s := &sourceSplit{chains: inboundChains(jr.rs, q)}
	s.reps, s.tooMany = sourceRepresentatives(jr.rs, s.chains, src)
	if !s.tooMany {
		s.classes = jr.classesOf(pathTables(s.chains), src, s.reps)
	}
	jr.splits[key] = s
	return s
}

// pathTables are the tables of the chains, each once, in order.
func pathTables(chains []baseChain) []*Table {
	var out []*Table
	seen := map[*Table]bool{}
	for _, bc := range chains {
		if !seen[bc.table] {
			seen[bc.table] = true
			out = append(out, bc.table)
		}
	}
	return out
}

func (jr *Judger) sourceIndexOf(c *Chain) *sourceIndex {
	ix := jr.sources[c]
	if ix == nil {
		ix = buildSourceIndex(c)
		jr.sources[c] = ix
	}
	return ix
}

// judgeRep judges representative i of the split: walked, or, when a
// representative of its class was walked for this query, that verdict
// with this one's own rules named.
func (jr *Judger) judgeRep(j *judge, s *sourceSplit, memo map[int]memoVerdict, i int, pkt *packet) sourceVerdict {
	if s.classes == nil {
		return j.judgeSource(jr.rs, s.chains, pkt)
	}
	class := s.classes.class[i]
	if m, ok := memo[class]; ok {
		return m.asMet(s.classes.meets[i])
	}
	v := j.judgeSource(jr.rs, s.chains, pkt)
	memo[class] = memoVerdict{v: v, meets: s.classes.meets[i]}
	return v
}
