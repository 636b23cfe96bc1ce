package firewalld

import (
	"fmt"

	"github.com/mailhost-checks/mailchecks/internal/netfilter"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// maxArrivalNames bounds the interfaces tried when the arrival interface
// is not known (each costs one Judge).
const maxArrivalNames = 16

// arrivalVerdict is the kernel's verdict for a query, and when the query's
// arrival interface was not known, on which interface it holds.
type arrivalVerdict struct {
	v netfilter.Verdict
	// iface: the interface a refusal or "cannot tell" holds on, when the
	// arrival interface was not known and the verdict depends on it.
	iface string
	// onAll: refused on every interface tried (a refusal whatever the
	// arrival interface).
	onAll bool
	// fwOnly: the verdict depends on the interface only through
	// firewalld's own table (firewalld 2.x dispatches zones by iifname),
	// which firewalld's verdict judges for the default zone.
	fwOnly bool
	// unlisted: the ruleset decides on interfaces not all tried (too
	// many, or in a form not read), none tried refused: cannot tell.
	unlisted bool
}

// judgeArrival judges q; when the arrival interface is not known (no
// --interface, no default route) and the judge cannot tell without it,
// the query is judged again on every interface the ruleset names and on
// one it does not: a refusal on any of them is a refusal some client gets
// (a WARNING naming the interface, CRITICAL when on every one), never a
// detail line; only a verdict that varies through firewalld's own table
// alone is left to firewalld's verdict.
func judgeArrival(judge *netfilter.Judger, q netfilter.Query) arrivalVerdict {
	v := judge.Judge(q)
	if v.Outcome != netfilter.CannotTell || q.Iface != "" {
		return arrivalVerdict{v: v}
	}
	names, complete := netfilter.InterfaceNames(judge.Ruleset(), maxArrivalNames)
	var refused, some, unsure *arrivalVerdict
	refusedOn, unsureOn, fwRefused := 0, 0, false
	for _, name := range names {
		qi := q
		qi.Iface = name
		vi := judge.Judge(qi)
		at := &arrivalVerdict{v: vi, iface: name}
		switch {
		case vi.Outcome == netfilter.Accepted:
		case vi.Outcome == netfilter.CannotTell:
			unsureOn++
			if unsure == nil {
				unsure = at
			}
		case vi.Rule.FirewalldOwned() && !vi.Rule.Panic():
			fwRefused = true
		case vi.Outcome == netfilter.Refused:
			refusedOn++
			if refused == nil {
				refused = at
			}
		default:
			if some == nil {
				some = at
			}
		}
	}
	switch {
	case refused != nil && refusedOn == len(names):
		return arrivalVerdict{v: refused.v, onAll: true}
	case refused != nil:
		return *refused
	case unsure != nil && unsureOn == len(names):
		// Not told on any interface either: the interface is not what
		// is missing, and --interface would not help.
		return arrivalVerdict{v: unsure.v}
	case unsure != nil:
		return *unsure
	case !complete:
		// Interfaces a rule decides on were not tried: an accept on
		// those tried proves nothing.
		return arrivalVerdict{v: v, iface: netfilter.OtherInterface, unlisted: true}
	case some != nil:
		return *some
	case fwRefused:
		return arrivalVerdict{v: v, fwOnly: true}
	}
	return arrivalVerdict{v: netfilter.Verdict{Outcome: netfilter.Accepted}}
}

// on says on which interface the verdict holds ("" when on any).
func (a arrivalVerdict) on() string {
	switch {
	case a.iface == "":
		return ""
	case a.unlisted:
		return fmt.Sprintf(" for clients arriving on some interfaces (the ruleset decides on interfaces beyond the %d tried, and the arrival interface is not known: give --interface)", maxArrivalNames)
	case a.iface == netfilter.OtherInterface:
		return " for clients arriving on an interface no rule names (the arrival interface is not known: give --interface)"
	}
	return fmt.Sprintf(" for clients arriving on %s (the arrival interface is not known: give --interface)", a.iface)
}

// state of a refusal: on some interfaces only, with the arrival interface
// unknown, a WARNING; else CRITICAL.
func (a arrivalVerdict) state() plugin.State {
	if a.iface != "" {
		return plugin.Warning
	}
	return plugin.Critical
}
