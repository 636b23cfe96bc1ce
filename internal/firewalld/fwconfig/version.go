package fwconfig

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// FirewalldVersion is the firewalld release the mail host runs, as
// gathering learnt it: the D-Bus property `version` of
// org.fedoraproject.FirewallD1, or `firewall-cmd --version` (which asks
// the same property). The permanent configuration is judged by that
// release's readers: firewalld 2.x raises where 1.3 logged a bad rich
// rule and skipped it, so one such rule fails the whole reload (validate*.go
// cite both). It is plain data; the zero value is "unknown".
type FirewalldVersion struct {
	Text         string // as firewalld reports it ("2.3.1"); "" when unknown
	Major, Minor int
	From         string // where it was learnt: "D-Bus", "firewall-cmd --version"
	Err          error  // why it is unknown
}

// ParseFirewalldVersion reads "MAJOR.MINOR[.PATCH…]" as firewalld reports
// it (config.VERSION); anything else is an unknown version that says what
// was read.
func ParseFirewalldVersion(text, from string) FirewalldVersion {
	text = strings.TrimSpace(text)
	var major, minor int
	if _, err := fmt.Sscanf(text, "%d.%d", &major, &minor); err != nil || major < 0 || minor < 0 {
		line, _, _ := strings.Cut(text, "\n")
		return FirewalldVersion{From: from, Err: fmt.Errorf("%s answered %q, not a version", from, line)}
	}
	return FirewalldVersion{Text: text, Major: major, Minor: minor, From: from}
}

// UnknownFirewalldVersion is a version that could not be learnt, and why.
func UnknownFirewalldVersion(err error) FirewalldVersion {
	if err == nil {
		err = errors.New("not asked")
	}
	return FirewalldVersion{Err: err}
}

// Known reports whether the version was learnt.
func (v FirewalldVersion) Known() bool { return v.Text != "" }

// RuleSet is a firewalld release line whose readers decide what loads.
type RuleSet int

const (
	// Rules13 are firewalld 1.3's (Debian 12, RHEL 9): a bad rich rule is
	// logged and skipped, the file loads without it.
	Rules13 RuleSet = iota
	// Rules2 are firewalld 2.x's (Debian 13, Fedora, RHEL 10): the readers
	// raise, so the file, and with it the reload, is refused.
	Rules2
)

func (r RuleSet) String() string {
	if r == Rules2 {
		return "firewalld 2.x"
	}
	return "firewalld 1.3"
}

// RuleSets are the rules to judge with: for a known version the ones of
// its line (0.x and 1.x read files as 1.3 does; 3.x and later are judged
// as 2.x, the newest line this check knows); for an unknown version both,
// so that a file either release refuses is reported (see mergeVerdicts).
func (v FirewalldVersion) RuleSets() []RuleSet {
	switch {
	case !v.Known():
		return []RuleSet{Rules13, Rules2}
	case v.Major >= 2:
		return []RuleSet{Rules2}
	}
	return []RuleSet{Rules13}
}

// Describe is the output line saying which rules judged the permanent
// configuration and why.
func (v FirewalldVersion) Describe() string {
	if !v.Known() {
		why := "not asked"
		if v.Err != nil {
			why = v.Err.Error()
		}
		return "firewalld version unknown (" + why + "): the permanent config is judged by the rules of both firewalld 1.3 and 2.x; " +
			"a file only one of them refuses is reported as UNKNOWN, naming which"
	}
	line := fmt.Sprintf("firewalld %s (from %s): the permanent config is judged by %s's rules", v.Text, v.From, v.RuleSets()[0])
	if v.Major > 2 {
		line += " (the newest this check knows)"
	}
	return line
}

// DispatchesByIngressPriority reports whether zones dispatch by
// ingress-priority first: on firewalld 2.x, and when the version is
// unknown (only 2.x knows the attribute; with every zone at 0 both orders
// are one).
func DispatchesByIngressPriority(v FirewalldVersion) bool {
	return !v.Known() || v.Major >= 2
}

// versionWait is how long validation waits for the version before it
// judges by both releases' rules meanwhile: the D-Bus property is one
// round trip (well within it), firewall-cmd --version a Python start.
const versionWait = 20 * time.Millisecond

// ValidateAsVersionArrives is ValidatePermanent for a version still on its
// way. A version that comes within versionWait is judged by its rules
// alone; else both releases' rules judge the files at once and the
// version, when it comes, picks its verdict. A version that never comes
// before ctx ends (a hung firewall-cmd) is unknown: the check still
// answers in time, with both verdicts merged.
//
// The config returned is what the readers of that release kept (1.3's for
// an unknown version: 2.x's refuses more, which the problems say).
func ValidateAsVersionArrives(ctx context.Context, d Dirs, files []remote.File, version <-chan FirewalldVersion) (FirewalldVersion, []ConfigProblem, *Tree) {
	wait := time.NewTimer(versionWait)
	defer wait.Stop()
	select {
	case v := <-version:
		problems, c := LoadPermanent(d, files, v)
		return v, problems, c
	case <-wait.C:
	case <-ctx.Done():
	}
	in := sortFiles(d, files)
	configs := map[RuleSet]*Tree{Rules13: in.validate(d, files, Rules13), Rules2: in.validate(d, files, Rules2)}
	each := map[RuleSet][]ConfigProblem{Rules13: configs[Rules13].problems, Rules2: configs[Rules2].problems}
	var v FirewalldVersion
	select {
	case v = <-version:
	case <-ctx.Done():
		v = UnknownFirewalldVersion(fmt.Errorf("firewalld did not say its version in time: %w", plugin.ErrTimeout))
	}
	sets := v.RuleSets()
	if len(sets) == 1 {
		return v, each[sets[0]], configs[sets[0]]
	}
	return v, mergeVerdicts(sets, [][]ConfigProblem{each[sets[0]], each[sets[1]]}), configs[sets[0]]
}
