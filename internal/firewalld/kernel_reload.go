package firewalld

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/netfilter"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// reloadPlan is what the kernel holds after the next firewall-cmd
// --reload, outside firewalld's own table (the permanent verdict judges
// that): other nftables tables, legacy x_tables and panic mode stay;
// iptables' own tables (iptables-nft: ip/ip6 filter, nat, mangle, raw,
// security) lose their rules and chains when firewalld flushes them
// (firewalld 1.x at every reload, 2.x only while it holds direct rules;
// fw.py flush and may_skip_flush_direct_backends), their built-in chains'
// policies stay; then firewalld applies its permanent direct rules.
type reloadPlan struct {
	after             *netfilter.Ruleset
	flush, flushKnown bool
	why               string // why iptables' tables are (not) flushed, in full (a detail line)
	short             string // the same, short enough for a finding's line (400 runes)
	note              string // what of direct.xml was not judged (a WARNING)
	directPath        string
}

func planReload(rs *netfilter.Ruleset, v fwconfig.FirewalldVersion, k kernelFacts) reloadPlan {
	p := reloadPlan{directPath: k.direct.path, flushKnown: true}
	switch {
	case !v.Known():
		p.flushKnown = false
		p.short = "firewalld's version is not known"
		p.why = "firewalld's version is not known: 1.x flushes iptables' tables at every reload, 2.x only while it holds direct rules"
	case v.Major < 2:
		p.flush, p.why = true, fmt.Sprintf("firewalld %s flushes iptables' tables at every reload", v.Text)
		p.short = p.why
	case k.runtime.err != nil:
		p.flushKnown = false
		p.short = "asking firewalld for its direct rules failed"
		p.why = fmt.Sprintf("firewalld %s flushes iptables' tables at a reload only while it holds direct rules, and asking it failed: %v", v.Text, k.runtime.err)
	case k.runtime.any:
		p.flush, p.why = true, fmt.Sprintf("firewalld %s flushes iptables' tables at a reload while it holds direct rules, as it does now", v.Text)
		p.short = fmt.Sprintf("firewalld %s holds direct rules, so it flushes iptables' tables", v.Text)
	default:
		p.why = fmt.Sprintf("firewalld %s flushes iptables' tables at a reload only while it holds direct rules, and it holds none", v.Text)
		p.short = fmt.Sprintf("firewalld %s holds no direct rule, so it leaves iptables' tables", v.Text)
	}
	direct, notJudged := netfilter.DirectRuleset(k.direct.rules)
	var notes []string
	if k.direct.err != nil {
		notes = append(notes, "firewalld's permanent direct rules were not judged: "+k.direct.err.Error())
	}
	if len(notJudged) > 0 {
		notes = append(notes, fmt.Sprintf("direct passthroughs in %s not judged: %s", k.direct.path, strings.Join(notJudged, "; ")))
	}
	p.note = strings.Join(notes, "; ")
	p.after = &netfilter.Ruleset{NftVersion: rs.NftVersion, LegacyNotRead: rs.LegacyNotRead}
	for _, t := range rs.Tables {
		ref := netfilter.RuleRef{Origin: t.Origin, Family: t.Family, Table: t.Name}
		switch {
		case ref.FirewalldOwned():
			continue
		case p.flush && ref.InIptablesTable():
			p.after.Tables = append(p.after.Tables, flushedTable(t))
		default:
			p.after.Tables = append(p.after.Tables, t)
		}
	}
	p.after.Tables = append(p.after.Tables, direct.Tables...)
	return p
}

// flushedTable is t after iptables -F -X: its built-in chains, empty, with
// their policies.
func flushedTable(t *netfilter.Table) *netfilter.Table {
	out := &netfilter.Table{Family: t.Family, Name: t.Name, Origin: t.Origin, Chains: map[string]*netfilter.Chain{}, Sets: map[string]*netfilter.Set{}}
	for name, c := range t.Chains {
		if c.Hook != "" {
			empty := *c
			empty.Rules = nil
			out.Chains[name] = &empty
		}
	}
	return out
}

// fate says what the next reload does to a rule refusing now.
func (p reloadPlan) fate(rule netfilter.RuleRef, after arrivalVerdict) string {
	switch {
	case !rule.InIptablesTable():
		return "it survives firewall-cmd --reload"
	case !p.flushKnown:
		return "whether firewall-cmd --reload removes it is not known (" + p.short + ")"
	case !p.flush:
		return "it survives firewall-cmd --reload (" + p.short + ")"
	case p.reappliedByDirect(rule, after):
		return "the next firewall-cmd --reload removes it, but a permanent direct rule refuses it again (see below)"
	}
	return "the next firewall-cmd --reload removes it (" + p.short + ")"
}

// reappliedByDirect: the next reload flushes the refusing rule, and a
// permanent direct rule refuses the packet again afterwards.
func (p reloadPlan) reappliedByDirect(rule netfilter.RuleRef, after arrivalVerdict) bool {
	return rule.InIptablesTable() && p.flushKnown && p.flush &&
		after.v.Outcome == netfilter.Refused && after.v.Rule.Origin == netfilter.OriginDirect
}

// finding words the kernel's verdicts for one requirement, family and port.
type finding struct {
	req     ruleset.Requirement
	fam     string
	port    uint16
	fwOpens bool // firewalld's runtime view opens it
}

func (fi finding) what() string { return fmt.Sprintf("%s over %s", fi.req.Describe(), fi.fam) }

// now words the kernel's verdict now (state, line, fix; no line: nothing
// to say).
func (fi finding) now(now, after arrivalVerdict, p reloadPlan) (plugin.State, string, string) {
	v, what := now.v, fi.what()
	if now.fwOnly {
		// Only firewalld's own rules decide by the interface, and
		// firewalld's verdict above already says it judged the default
		// zone for want of one.
		return plugin.OK, fmt.Sprintf("the kernel's verdict on %s depends on the arrival interface, which is not known (%s): give --interface", what, v.Rule.Text), ""
	}
	switch v.Outcome {
	case netfilter.Accepted:
		return plugin.OK, "", ""
	case netfilter.CannotTell:
		return plugin.Warning, fmt.Sprintf("cannot tell whether the kernel accepts %s%s: %s (%s)", what, now.on(), v.Rule, v.Why), ""
	case netfilter.RefusedSome:
		if v.Rule.FirewalldOwned() {
			return plugin.OK, "", "" // firewalld's own rich rules: judged from its configuration
		}
		return plugin.OK, fmt.Sprintf("kernel: %s is refused for %s by %s", what, refusedList(v), v.Rule), ""
	}
	switch {
	case v.Rule.Panic():
		return plugin.Critical, "firewalld's panic mode is on: the kernel drops every packet, " + what + " included (panic mode stays on across reloads)", "firewall-cmd --panic-off"
	case v.Rule.FirewalldOwned() && fi.fwOpens:
		return plugin.Critical, fmt.Sprintf("the kernel refuses %s by %s, though firewalld's runtime configuration opens it: the kernel does not hold what firewalld reports", what, v.Rule), "firewall-cmd --reload"
	case v.Rule.FirewalldOwned():
		return plugin.OK, "", "" // firewalld's own verdict, reported from its configuration
	}
	line := fmt.Sprintf("%s is refused by the kernel outside firewalld's zones%s: %s; %s", what, now.on(), v.Rule, p.fate(v.Rule, after))
	fix := v.Rule.Fix(netip.Addr{}, fi.port)
	if p.reappliedByDirect(v.Rule, after) {
		// Deleting it from the kernel lasts until the next reload only:
		// the permanent direct rule is what to remove.
		fix = directFix(after.v.Rule.Text)
	}
	return now.state(), line, fix
}

// afterReload words what the next reload leaves refusing, when that is
// not the rule the now line already named as surviving.
func (fi finding) afterReload(now, after arrivalVerdict, p reloadPlan) (plugin.State, string, string) {
	v := after.v
	if v.Outcome == netfilter.Accepted || after.fwOnly || (now.v.Outcome == v.Outcome && now.v.Rule == v.Rule) {
		return plugin.OK, "", ""
	}
	what := fi.what()
	switch v.Outcome {
	case netfilter.CannotTell:
		return plugin.Warning, fmt.Sprintf("cannot tell whether the kernel accepts %s%s after the next firewall-cmd --reload: %s (%s)", what, after.on(), v.Rule, v.Why), ""
	case netfilter.RefusedSome:
		return plugin.OK, fmt.Sprintf("kernel after the next reload: %s is refused for %s by %s", what, refusedList(v), v.Rule), ""
	}
	if v.Rule.Panic() {
		return plugin.OK, "", "" // the now line says panic mode stays on
	}
	fix, where := v.Rule.Fix(netip.Addr{}, fi.port), ""
	if v.Rule.Origin == netfilter.OriginDirect {
		fix, where = directFix(v.Rule.Text), " from firewalld's permanent direct configuration "+p.directPath
	}
	return after.state(), fmt.Sprintf("after the next firewall-cmd --reload, %s is refused by the kernel outside firewalld's zones%s: %s%s", what, after.on(), v.Rule, where), fix
}
