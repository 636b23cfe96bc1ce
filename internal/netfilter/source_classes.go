package netfilter

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Source classes: "any address" is cut into one piece per boundary of
// every source match (sources.go), and at 10,000 fail2ban bans that is
// 20,000 pieces, each walked through every base chain: 14 questions (7
// services, 2 families) took seconds. Most pieces walk alike: the walk of
// a banned address differs from another banned address's only in which
// ban rule it meets, and rules of the same shape in the same place give
// the same verdict. So pieces are grouped into classes whose walks are
// the same but for which such rule they meet; one piece per class is
// walked and the others take its verdict with their own rule named.
//
// A ban rule here is a pure guarded rule: in a chain long enough to be
// indexed (rule_index.go), with a plain source match (sourceGuard) that is
// its only reference to the source address. Two pieces are in one class
// when (1) no other source match in the ruleset tells them apart (they lie
// between the same boundaries of the other rules' source matches) and
// (2) the pure guarded rules each meets are, in walk order, of the same
// shapes (the rule with its guard's address left out) at the same places
// (between the same other rules of the same chain). Then the walks take
// the same steps, expression for expression.

// pureGuard is a pure guarded rule's place and shape.
type pureGuard struct {
	slot  int // how many rules that are not pure guarded precede it
	shape int // equal for rules equal but for the guard's address
}

// chainClasses describes one indexed chain's pure guarded rules.
type chainClasses struct {
	id   int
	pure map[int]pureGuard // by rule index
}

// sourceClasses is, for one source split, the class of each
// representative and the pure guarded rules it meets.
type sourceClasses struct {
	class []int        // per representative
	meets [][]ruleSpot // per representative, in the order of its class key
}

// ruleSpot is a rule by chain and index.
type ruleSpot struct {
	table *Table
	chain *Chain
	rule  int
}

// classesOf groups the representatives of a split (nil: they cannot be
// grouped, every one is walked). tables are the tables on the path.
func (jr *Judger) classesOf(tables []*Table, src netip.Prefix, reps []netip.Addr) *sourceClasses {
	if len(reps) < 2 {
		return nil
	}
	proto := sourceProto(src)
	// Boundaries of every source match but the pure guards.
	cuts := newSourceCuts(src)
	type indexed struct {
		spot ruleSpot
		cc   *chainClasses
	}
	var chains []indexed
	for _, t := range tables {
		for _, name := range sortedChainNames(t) {
			c := t.Chains[name]
			cc := jr.chainClassesOf(c)
			if cc != nil {
				chains = append(chains, indexed{ruleSpot{table: t, chain: c}, cc})
			}
			for i, r := range c.Rules {
				guard := -1
				if cc != nil {
					if _, ok := cc.pure[i]; ok {
						guard = guardExpr(r)
					}
				}
				for k, e := range r.Exprs {
					if k == guard {
						continue
					}
					if !coveredBySourceCuts(e) {
						return nil // a source use the pieces do not capture
					}
					collectSourceCuts(t, e, proto, cuts)
				}
			}
		}
	}
	if len(chains) == 0 {
		return nil
	}
	bounds := cuts.sorted()

	out := &sourceClasses{class: make([]int, len(reps)), meets: make([][]ruleSpot, len(reps))}
	classes := map[string]int{}
	var key strings.Builder
	lookups := 0
	for i, a := range reps {
		key.Reset()
		piece := sort.Search(len(bounds), func(k int) bool { return a.Less(bounds[k]) }) - 1
		key.WriteString(strconv.Itoa(piece))
		var meets []ruleSpot
		for _, ic := range chains {
			ix := jr.sourceIndexOf(ic.spot.chain)
			if lookups += len(ix.bits); lookups > maxSteps/10 {
				return nil // a hostile ruleset: the walks' own budget bounds them
			}
			var hit []int
			for _, b := range ix.bits {
				p, err := a.Prefix(b)
				if err != nil {
					continue
				}
				for _, r := range ix.bySrc[p] {
					if _, ok := ic.cc.pure[r]; ok {
						hit = append(hit, r)
					}
				}
			}
			sort.Ints(hit)
			for _, r := range hit {
				g := ic.cc.pure[r]
				key.WriteString("|" + strconv.Itoa(ic.cc.id) + ":" + strconv.Itoa(g.slot) + ":" + strconv.Itoa(g.shape))
				meets = append(meets, ruleSpot{ic.spot.table, ic.spot.chain, r})
			}
		}
		id, ok := classes[key.String()]
		if !ok {
			id = len(classes)
			classes[key.String()] = id
		}
		out.class[i], out.meets[i] = id, meets
	}
	return out
}

// chainClassesOf finds a chain's pure guarded rules (nil: none, or the
// chain is not indexed, or its handles do not name its rules apart).
func (jr *Judger) chainClassesOf(c *Chain) *chainClasses {
	if cc, ok := jr.chainClasses[c]; ok {
		return cc
	}
	var cc *chainClasses
	if len(c.Rules) >= jr.from && uniqueHandles(c) {
		pure := map[int]pureGuard{}
		slot := 0
		for i, r := range c.Rules {
			k := guardExpr(r)
			if k < 0 || saddrUses(r.Exprs) != 1 {
				slot++
				continue
			}
			pure[i] = pureGuard{slot: slot, shape: jr.shapeOf(r, k)}
		}
		if len(pure) > 0 {
			cc = &chainClasses{id: len(jr.chainClasses), pure: pure}
		}
	}
	jr.chainClasses[c] = cc
	return cc
}

// guardExpr is the index of a rule's plain source match (sourceGuard's),
// -1 when it has none.
func guardExpr(r Rule) int {
	if _, ok := sourceGuard(r); !ok {
		return -1
	}
	for k, e := range r.Exprs {
		m, _ := e.(map[string]any)
		mm, _ := m["match"].(map[string]any)
		if mm != nil && str(mm["op"]) == "==" && (isSaddr(mm["left"], "ip") || isSaddr(mm["left"], "ip6")) {
			return k
		}
	}
	return -1
}

// shapeOf numbers a rule's expressions with the guard's address left out.
func (jr *Judger) shapeOf(r Rule, guard int) int {
	var b strings.Builder
	for k, e := range r.Exprs {
		if k == guard {
			mm := e.(map[string]any)["match"].(map[string]any)
			b.WriteString("guard:")
			writeCanonical(&b, mm["op"])
			writeCanonical(&b, mm["left"])
			continue
		}
		writeCanonical(&b, e)
	}
	id, ok := jr.shapes[b.String()]
	if !ok {
		id = len(jr.shapes)
		jr.shapes[b.String()] = id
	}
	return id
}

// writeCanonical writes a decoded JSON value so that equal values, and
// only they, write the same text (map keys sorted, strings quoted).
func writeCanonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case string:
		b.WriteString(strconv.Quote(x))
	case []any:
		b.WriteByte('[')
		for _, e := range x {
			writeCanonical(b, e)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for _, k := range keys {
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			writeCanonical(b, x[k])
			b.WriteByte(',')
		}
		b.WriteByte('}')
	default:
		b.WriteString(fmt.Sprintf("%T:%v", v, v))
	}
}

func uniqueHandles(c *Chain) bool {
	seen := make(map[int]bool, len(c.Rules))
	for _, r := range c.Rules {
		if r.Handle == 0 || seen[r.Handle] {
			return false
		}
		seen[r.Handle] = true
	}
	return true
}

// saddrUses counts the source address fields anywhere in v.
func saddrUses(v any) int {
	switch x := v.(type) {
	case []any:
		n := 0
		for _, e := range x {
			n += saddrUses(e)
		}
		return n
	case map[string]any:
		if isSaddr(x, "ip") || isSaddr(x, "ip6") {
			return 1
		}
		n := 0
		for _, e := range x {
			n += saddrUses(e)
		}
		return n
	}
	return 0
}

// coveredBySourceCuts: every source address field in the expression is
// one collectSourceCuts reads (a match's or verdict map's left side, alone
// or in a concatenation), so its outcome is the same across a piece.
func coveredBySourceCuts(e any) bool {
	n := saddrUses(e)
	if n == 0 {
		return true
	}
	m, _ := e.(map[string]any)
	var left, right any
	if mm, ok := m["match"].(map[string]any); ok && len(m) == 1 {
		left, right = mm["left"], mm["right"]
	} else if vm, ok := m["vmap"].(map[string]any); ok && len(m) == 1 {
		left, right = vm["key"], vm["data"]
	} else {
		return false
	}
	if saddrUses(right) != 0 {
		return false
	}
	if isSaddr(left, "ip") || isSaddr(left, "ip6") {
		return n == 1
	}
	lm, _ := left.(map[string]any)
	parts, _ := lm["concat"].([]any)
	direct := 0
	for _, p := range parts {
		if isSaddr(p, "ip") || isSaddr(p, "ip6") {
			direct++
		}
	}
	return len(lm) == 1 && direct == n
}

func sortedChainNames(t *Table) []string {
	names := make([]string, 0, len(t.Chains))
	for n := range t.Chains {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// memoVerdict is a class's verdict and the pure guarded rules its walked
// representative met.
type memoVerdict struct {
	v     sourceVerdict
	meets []ruleSpot
}

// asMet gives the class's verdict for a representative that met the
// rules meets: a rule named that the walked one met is replaced by the one
// this representative met in its place.
func (m memoVerdict) asMet(meets []ruleSpot) sourceVerdict {
	v := m.v
	v.rule = m.swap(v.rule, meets)
	v.limited = m.swap(v.limited, meets)
	return v
}

func (m memoVerdict) swap(ref *RuleRef, meets []ruleSpot) *RuleRef {
	if ref == nil || ref.Policy {
		return ref
	}
	for k, s := range m.meets {
		if s.table.Family == ref.Family && s.table.Name == ref.Table && s.table.Origin == ref.Origin &&
			s.chain.Name == ref.Chain && s.chain.Rules[s.rule].Handle == ref.Handle {
			o := meets[k]
			r := o.chain.Rules[o.rule]
			return &RuleRef{Origin: o.table.Origin, Family: o.table.Family, Table: o.table.Name, Chain: o.chain.Name, Handle: r.Handle, Text: r.Text}
		}
	}
	return ref
}
