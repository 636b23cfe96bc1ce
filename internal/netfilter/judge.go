package netfilter

import (
	"net/netip"
	"sort"
	"strings"
)

// judge holds what one Judge call shares between its walks: the step
// budget and the set indexes.
type judge struct {
	steps   int
	index   map[*Set]*addrIndex
	sources map[*Chain]*sourceIndex // long chains' rules by source (rule_index.go)
	// indexFrom: chains this long or longer use sources.
	indexFrom int
}

// baseChain is one base chain the packet passes, in the kernel's order.
type baseChain struct {
	table *Table
	chain *Chain
}

var hookOrder = map[string]int{"ingress": 0, "prerouting": 1, "input": 2}

// inboundChains lists the base chains a new inbound connection of the
// query's family passes, ordered by hook, then priority (lower first).
// Equal priorities run in an order the kernel does not promise; as a drop
// anywhere ends the packet, that order changes only which rule is named.
func inboundChains(rs *Ruleset, q Query) []baseChain {
	var out []baseChain
	for _, t := range rs.Tables {
		switch t.Family {
		case "inet", "netdev":
		case "ip":
			if q.IPv6 {
				continue
			}
		case "ip6":
			if !q.IPv6 {
				continue
			}
		default:
			continue
		}
		for _, c := range t.Chains {
			if _, ok := hookOrder[c.Hook]; !ok {
				continue
			}
			// nft 1.0.6's JSON omits an ingress chain's device: such a
			// chain is walked, and a refusal from it is "cannot tell".
			// With the arrival interface not known, a device's chain is
			// walked too, and a refusal from it is "cannot tell".
			if c.Hook == "ingress" && len(c.Devices) > 0 && q.Iface != "" && !contains(c.Devices, q.Iface) {
				continue
			}
			out = append(out, baseChain{t, c})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if hookOrder[a.chain.Hook] != hookOrder[b.chain.Hook] {
			return hookOrder[a.chain.Hook] < hookOrder[b.chain.Hook]
		}
		if a.chain.Priority != b.chain.Priority {
			return a.chain.Priority < b.chain.Priority
		}
		if a.table.Family != b.table.Family {
			return a.table.Family > b.table.Family // netdev before inet at ingress
		}
		if a.table.Name != b.table.Name {
			return a.table.Name < b.table.Name
		}
		return a.chain.Name < b.chain.Name
	})
	return out
}

// sourceVerdict is the answer for one concrete source address.
type sourceVerdict struct {
	outcome Outcome // Accepted, Refused or CannotTell
	rule    *RuleRef
	why     string
	limited *RuleRef
	port    uint16 // a nat rule's new destination port for later chains
}

// judgeSource walks every inbound base chain for one source address. A
// base chain that surely refuses decides; else one the judge cannot tell
// about makes the answer "cannot tell"; else the packet is accepted.
func (j *judge) judgeSource(rs *Ruleset, chains []baseChain, pkt *packet) sourceVerdict {
	var undecided *sourceVerdict
	var limited *RuleRef
	cur := *pkt // a nat rule may change the port later chains see
	for _, bc := range chains {
		chainPkt := cur
		chainPkt.conntrack = afterConntrack(bc.chain)
		w := &walker{j: j, pkt: &chainPkt, table: bc.table, base: bc.chain}
		v := combineLeaves(w.walkBase())
		if v.outcome == Refused && bc.chain.Hook == "ingress" && len(bc.chain.Devices) == 0 {
			v.outcome, v.why = CannotTell, "nft did not say which device this ingress chain is on (nft 1.0.6 leaves it out of its JSON)"
		} else if v.outcome == Refused && bc.chain.Hook == "ingress" && pkt.q.Iface == "" {
			v.outcome, v.why = CannotTell, "this ingress chain is on "+strings.Join(bc.chain.Devices, ", ")+" and the arrival interface is not known"
		}
		switch v.outcome {
		case Refused:
			return v
		case CannotTell:
			if undecided == nil {
				undecided = &v
			}
		default:
			if limited == nil {
				limited = v.limited
			}
			if v.port != 0 {
				cur.q.Port, cur.natted = v.port, true
			}
		}
	}
	if undecided != nil {
		return *undecided
	}
	return sourceVerdict{outcome: Accepted, limited: limited}
}

// afterConntrack: conntrack sees a packet at prerouting priority -200
// (NF_IP_PRI_CONNTRACK); ingress runs before it, input after it.
func afterConntrack(c *Chain) tri {
	switch {
	case c.Hook == "ingress":
		return no
	case c.Hook != "prerouting":
		return yes
	case c.Priority < -200:
		return no
	case c.Priority == -200:
		return unknown
	}
	return yes
}

// combineLeaves: a base chain accepts when every path accepts, refuses
// when every path refuses; otherwise an undecided match or a rule not
// understood decides, and that rule is named.
func combineLeaves(leaves []leaf) sourceVerdict {
	accepts, refusals := 0, 0
	var limited *RuleRef
	ports := map[uint16]bool{}
	for _, l := range leaves {
		switch {
		case l.accept:
			accepts++
			ports[l.port] = true
			if limited == nil {
				limited = l.limited
			}
		case l.refused != nil:
			refusals++
		}
	}
	switch {
	case accepts == len(leaves) && len(ports) == 1:
		var port uint16
		for p := range ports {
			port = p
		}
		return sourceVerdict{outcome: Accepted, limited: limited, port: port}
	case refusals == len(leaves):
		return sourceVerdict{outcome: Refused, rule: leaves[0].refused}
	}
	for _, l := range leaves {
		if l.unknown != nil {
			return sourceVerdict{outcome: CannotTell, rule: l.unknown, why: l.why}
		}
	}
	for _, l := range leaves {
		if !l.accept && l.assumed != nil {
			return sourceVerdict{outcome: CannotTell, rule: l.assumed, why: "a match the judge cannot decide for this packet"}
		}
	}
	return sourceVerdict{outcome: CannotTell, rule: leaves[0].assumed, why: "a match the judge cannot decide for this packet"}
}

// Judge answers the query against the ruleset. It does no I/O and is
// bounded: a ruleset too costly to walk gives CannotTell naming the rule
// where the budget ran out.
func Judge(rs *Ruleset, q Query) Verdict {
	return NewJudger(rs).Judge(q)
}

// judgeIndexed is Judge with the chain length from which rules are
// indexed by source (tests compare it with a walk that never skips).
func judgeIndexed(rs *Ruleset, q Query, from int) Verdict {
	return newJudger(rs, from).Judge(q)
}

// Judge answers the query (see the package's Judge); what the queries
// share is built on the first that needs it (judger.go).
func (jr *Judger) Judge(q Query) Verdict {
	rs := jr.rs
	j := &judge{index: jr.sets, sources: jr.sources, indexFrom: jr.from}
	marksKnown := jr.marksKnown
	src := q.Source.Masked()
	if !src.IsValid() {
		if q.IPv6 {
			src = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		} else {
			src = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		}
	}
	split := jr.split(q, src)
	reps, tooMany := split.reps, split.tooMany
	memo := map[int]memoVerdict{}
	out := Verdict{LegacyNotRead: rs.LegacyNotRead}
	if tooMany {
		out.Outcome, out.Why = CannotTell, "the ruleset splits the source addresses into too many ranges to judge each"
		return out
	}
	var refused []addrRange
	var firstRefusal *RuleRef
	var rules []RuleRef
	seenRules := map[RuleRef]bool{}
	accepted := 0
	for i, a := range reps {
		pkt := &packet{q: q, src: a, marksKnow: marksKnown, candidates: map[*Chain][]int{}}
		v := jr.judgeRep(j, split, memo, i, pkt)
		switch v.outcome {
		case CannotTell:
			out.Outcome, out.Why = CannotTell, v.why
			if v.rule != nil {
				out.Rule = *v.rule
			}
			return out
		case Refused:
			hi := lastAddr(src)
			if i+1 < len(reps) {
				hi = reps[i+1].Prev()
			}
			refused = appendRange(refused, a, hi)
			if firstRefusal == nil {
				firstRefusal = v.rule
			}
			if !seenRules[*v.rule] {
				seenRules[*v.rule] = true
				rules = append(rules, *v.rule)
			}
		default:
			accepted++
			if out.RateLimited == nil {
				out.RateLimited = v.limited
			}
		}
	}
	switch {
	case len(refused) == 0:
		out.Outcome = Accepted
	case accepted == 0:
		out.Outcome, out.Rule, out.RateLimited = Refused, *firstRefusal, nil
	default:
		out.Outcome, out.Rule, out.RefusedRules = RefusedSome, *firstRefusal, rules
		prefixes := rangesToPrefixes(refused)
		const show = 16
		if len(prefixes) > show {
			out.RefusedMore = len(prefixes) - show
			prefixes = prefixes[:show]
		}
		out.RefusedFor = prefixes
	}
	return out
}

// setsMarks reports whether any rule sets a packet or conntrack mark: then
// a match on a mark is undecided rather than 0.
func setsMarks(rs *Ruleset) bool {
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, e := range r.Exprs {
					if m, ok := e.(map[string]any); ok && m["mangle"] != nil {
						return true
					}
					if m, ok := e.(map[string]any); ok && m["xt"] != nil {
						return true
					}
				}
			}
		}
	}
	return false
}
