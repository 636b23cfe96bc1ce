package firewalld

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

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
		return FirewalldVersion{From: from, Err: fmt.Errorf("%s answered %q, not a version", from, firstLine(text))}
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

// ruleSet is a firewalld release line whose readers decide what loads.
type ruleSet int

const (
	// rules13 are firewalld 1.3's (Debian 12, RHEL 9): a bad rich rule is
	// logged and skipped, the file loads without it.
	rules13 ruleSet = iota
	// rules2 are firewalld 2.x's (Debian 13, Fedora, RHEL 10): the readers
	// raise, so the file, and with it the reload, is refused.
	rules2
)

func (r ruleSet) String() string {
	if r == rules2 {
		return "firewalld 2.x"
	}
	return "firewalld 1.3"
}

// ruleSets are the rules to judge with: for a known version the ones of
// its line (0.x and 1.x read files as 1.3 does; 3.x and later are judged
// as 2.x, the newest line this check knows); for an unknown version both,
// so that a file either release refuses is reported (see mergeVerdicts).
func (v FirewalldVersion) ruleSets() []ruleSet {
	switch {
	case !v.Known():
		return []ruleSet{rules13, rules2}
	case v.Major >= 2:
		return []ruleSet{rules2}
	}
	return []ruleSet{rules13}
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
	line := fmt.Sprintf("firewalld %s (from %s): the permanent config is judged by %s's rules", v.Text, v.From, v.ruleSets()[0])
	if v.Major > 2 {
		line += " (the newest this check knows)"
	}
	return line
}

// firewallCmdVersion asks `firewall-cmd --version` on the host (the
// running firewalld's version property, over its D-Bus).
func firewallCmdVersion(ctx context.Context, host remote.Host, firewallCmd string) FirewalldVersion {
	out, err := runFirewallCmd(ctx, host, firewallCmd, "--version")
	if err != nil {
		return UnknownFirewalldVersion(err)
	}
	return ParseFirewalldVersion(out, firewallCmd+" --version")
}

// version reads firewalld's D-Bus property version.
func (s *DBusSource) version(ctx context.Context) FirewalldVersion {
	var v dbus.Variant
	obj := s.conn.Object(busName, objectPath)
	err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, ifaceMain, "version").Store(&v)
	if err != nil {
		return UnknownFirewalldVersion(classify("Get(version)", err))
	}
	text, ok := v.Value().(string)
	if !ok {
		return UnknownFirewalldVersion(fmt.Errorf("D-Bus property version is %s, not a string", v.Signature()))
	}
	return ParseFirewalldVersion(text, "D-Bus")
}

// versionWait is how long validation waits for the version before it
// judges by both releases' rules meanwhile: the D-Bus property is one
// round trip (well within it), firewall-cmd --version a Python start.
const versionWait = 20 * time.Millisecond

// validateAsVersionArrives is ValidatePermanent for a version still on its
// way. A version that comes within versionWait is judged by its rules
// alone; else both releases' rules judge the files at once and the
// version, when it comes, picks its verdict. A version that never comes
// before ctx ends (a hung firewall-cmd) is unknown: the check still
// answers in time, with both verdicts merged.
//
// The config returned is what the readers of that release kept (1.3's for
// an unknown version: 2.x's refuses more, which the problems say).
func validateAsVersionArrives(ctx context.Context, d Dirs, files []remote.File, version <-chan FirewalldVersion) (FirewalldVersion, []ConfigProblem, *permanentConfig) {
	wait := time.NewTimer(versionWait)
	defer wait.Stop()
	select {
	case v := <-version:
		problems, c := loadPermanent(d, files, v)
		return v, problems, c
	case <-wait.C:
	case <-ctx.Done():
	}
	in := sortFiles(d, files)
	configs := map[ruleSet]*permanentConfig{rules13: in.validate(d, files, rules13), rules2: in.validate(d, files, rules2)}
	each := map[ruleSet][]ConfigProblem{rules13: configs[rules13].problems, rules2: configs[rules2].problems}
	var v FirewalldVersion
	select {
	case v = <-version:
	case <-ctx.Done():
		v = UnknownFirewalldVersion(fmt.Errorf("firewalld did not say its version in time: %w", plugin.ErrTimeout))
	}
	sets := v.ruleSets()
	if len(sets) == 1 {
		return v, each[sets[0]], configs[sets[0]]
	}
	return v, mergeVerdicts(sets, [][]ConfigProblem{each[sets[0]], each[sets[1]]}), configs[sets[0]]
}
