package netfilter

import "fmt"

// Bounds of one judgement: nft itself refuses jump loops and the kernel
// allows 16 nested jumps; the budgets stop a hostile ruleset from costing
// more than a fraction of a second per question.
const (
	maxJumpDepth = 32
	maxLeaves    = 512        // undecidable forks in one base chain
	maxSteps     = 20_000_000 // expressions and set elements evaluated per Judge
)

// leaf is where one path through a base chain ends.
type leaf struct {
	accept  bool
	refused *RuleRef // drop, reject, or a drop policy
	unknown *RuleRef // a rule the judge could not interpret
	why     string
	assumed *RuleRef // the first undecided match this path assumed an outcome of
	limited *RuleRef // a limit this path's acceptance depends on
	port    uint16   // a nat rule's new destination port (0: unchanged)
}

// pos is where a path is: a chain, a rule in it, an expression in the rule.
type pos struct {
	chain *Chain
	rule  int
	expr  int
}

// path is one path being walked (forked at each undecided match).
type path struct {
	at      pos
	stack   []pos // jump return points
	assumed *RuleRef
	limited *RuleRef
}

type walker struct {
	j     *judge
	pkt   *packet
	table *Table
	base  *Chain
}

// walkBase runs the packet through one base chain, every undecided match
// forking the walk, and returns the leaves.
func (w *walker) walkBase() []leaf {
	var leaves []leaf
	todo := []path{{at: pos{chain: w.base}}}
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		l, forks := w.run(p)
		if l != nil {
			leaves = append(leaves, *l)
		}
		todo = append(todo, forks...)
		if len(leaves)+len(todo) > maxLeaves || w.j.steps > maxSteps {
			return append(leaves, leaf{unknown: w.ref(p.at), why: "too many undecidable paths or steps (a hostile or huge ruleset)"})
		}
	}
	return leaves
}

// run follows one path until it ends; at an undecided match it returns the
// branch where the match failed as a fork and continues as if it held.
func (w *walker) run(p path) (*leaf, []path) {
	var forks []path
	for {
		w.j.steps++
		if w.j.steps > maxSteps {
			return &leaf{unknown: w.ref(p.at), why: "the ruleset is too costly to judge"}, forks
		}
		if p.at.rule >= len(p.at.chain.Rules) {
			if len(p.stack) > 0 { // implicit return at the end of a jumped-to chain
				p.at, p.stack = p.stack[len(p.stack)-1], p.stack[:len(p.stack)-1]
				continue
			}
			return w.policy(p), forks
		}
		if p.at.expr == 0 {
			if p.at.rule = w.nextRule(p.at.chain, p.at.rule); p.at.rule >= len(p.at.chain.Rules) {
				continue // past the last candidate: the chain's end
			}
		}
		rule := &p.at.chain.Rules[p.at.rule]
		if p.at.expr >= len(rule.Exprs) {
			p.at = pos{chain: p.at.chain, rule: p.at.rule + 1}
			continue
		}
		step := w.expr(rule.Exprs[p.at.expr])
		switch step.kind {
		case sNext:
			p.at.expr++
		case sNoMatch:
			p.at = pos{chain: p.at.chain, rule: p.at.rule + 1}
		case sUndecided:
			skip := p
			skip.at = pos{chain: p.at.chain, rule: p.at.rule + 1}
			skip.stack = append([]pos(nil), p.stack...)
			if skip.assumed == nil {
				skip.assumed = w.ref(p.at)
			}
			forks = append(forks, skip)
			if p.assumed == nil {
				p.assumed = w.ref(p.at)
			}
			p.at.expr++
		case sLimited:
			if p.limited == nil {
				p.limited = w.ref(p.at)
			}
			p.at.expr += 1
			if step.inverted { // "limit rate over": under the rate it does not match
				p.at = pos{chain: p.at.chain, rule: p.at.rule + 1}
			}
		case sAccept:
			return &leaf{accept: true, assumed: p.assumed, limited: p.limited}, forks
		case sRedirect:
			return &leaf{accept: true, assumed: p.assumed, limited: p.limited, port: step.port}, forks
		case sRefuse:
			return &leaf{refused: w.ref(p.at), assumed: p.assumed}, forks
		case sUnknown:
			return &leaf{unknown: w.ref(p.at), why: step.why, assumed: p.assumed}, forks
		case sContinue:
			p.at = pos{chain: p.at.chain, rule: p.at.rule + 1}
		case sReturn:
			if len(p.stack) == 0 {
				return w.policy(p), forks
			}
			p.at, p.stack = p.stack[len(p.stack)-1], p.stack[:len(p.stack)-1]
		case sJump, sGoto:
			target := w.table.Chains[step.target]
			if target == nil {
				return &leaf{unknown: w.ref(p.at), why: "jump to a chain that was not read: " + step.target, assumed: p.assumed}, forks
			}
			if step.kind == sJump {
				if len(p.stack) >= maxJumpDepth {
					return &leaf{unknown: w.ref(p.at), why: fmt.Sprintf("jumps nested deeper than %d", maxJumpDepth), assumed: p.assumed}, forks
				}
				p.stack = append(append([]pos(nil), p.stack...), pos{chain: p.at.chain, rule: p.at.rule + 1})
			}
			p.at = pos{chain: target}
		}
	}
}

func (w *walker) policy(p path) *leaf {
	if w.base.Policy == "drop" {
		return &leaf{refused: &RuleRef{Origin: w.table.Origin, Family: w.table.Family, Table: w.table.Name,
			Chain: w.base.Name, Policy: true, Text: "drop"}, assumed: p.assumed}
	}
	return &leaf{accept: true, assumed: p.assumed, limited: p.limited}
}

func (w *walker) ref(at pos) *RuleRef {
	r := &RuleRef{Origin: w.table.Origin, Family: w.table.Family, Table: w.table.Name, Chain: at.chain.Name}
	if at.rule < len(at.chain.Rules) {
		r.Handle, r.Text = at.chain.Rules[at.rule].Handle, at.chain.Rules[at.rule].Text
	}
	return r
}
