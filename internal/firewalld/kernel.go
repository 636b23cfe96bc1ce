package firewalld

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/netfilter"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// kernelFacts is what the kernel check gathered (Config.Kernel).
type kernelFacts struct {
	mode string
	got  netfilter.Gathered
	// direct is direct.xml; runtime whether firewalld holds direct rules
	// at runtime (asked only when iptables' tables hold rules).
	direct  directConfig
	runtime runtimeDirect
}

// gatherKernel reads the live ruleset unless --kernel=skip. Through the
// host: with --sudo it is already wrapped in sudo -n. It runs while
// firewalld answers over D-Bus (Check); what decides the next reload's
// fate needs firewalld's version and is added by gatherReloadFacts.
func gatherKernel(ctx context.Context, host remote.Host, cfg Config) kernelFacts {
	mode := cfg.Kernel
	if mode == "" {
		mode = netfilter.ModeSkip
	}
	return kernelFacts{mode: mode, got: netfilter.ReadForMode(ctx, host, mode, netfilter.OptionsFor(false, cfg.ProcNet))}
}

// gatherReloadFacts adds to k what decides what of the ruleset the next
// reload keeps: direct.xml, and firewalld 2.x's runtime direct rules.
func gatherReloadFacts(ctx context.Context, host remote.Host, cfg Config, version fwconfig.FirewalldVersion, k kernelFacts) kernelFacts {
	if k.got.Ruleset == nil {
		return k
	}
	k.direct = readDirectXML(ctx, host, cfg.Dirs.ConfigDir)
	// firewalld 1.x flushes iptables' tables at every reload: only 2.x's
	// answer depends on its runtime direct rules.
	if hasIptablesRules(k.got.Ruleset) && !(version.Known() && version.Major < 2) {
		k.runtime = askRuntimeDirect(ctx, host, cfg.FirewallCmd)
	}
	return k
}

// evaluateKernel adds the kernel's verdict for every required port and
// served family beside firewalld's, now and after the next reload: a
// refusal outside firewalld's zones (another table, a direct or iptables
// rule, panic mode) is CRITICAL with the rule and its removal, and says
// whether the next reload removes it; a refusal in firewalld's own table
// where firewalld's runtime view opens the port means the kernel does not
// hold what firewalld reports.
func evaluateKernel(r *plugin.Result, k kernelFacts, f Facts, reqs []ruleset.Requirement) {
	switch {
	case k.mode == netfilter.ModeSkip:
		return
	case k.got.Err != nil:
		r.AddLeading(plugin.Unknown, k.got.Err.Error(), netfilter.KernelFix)
		return
	case k.got.Ruleset == nil:
		r.Detailf("the kernel's ruleset was not read: %s; judged from firewalld's configuration alone", k.got.NotRead)
		return
	}
	rs := k.got.Ruleset
	// Without firewalld's table the ruleset read is not the one firewalld
	// filters with: either someone flushed it (firewalld's zones then filter
	// nothing and firewall-cmd --reload fails), or this check runs in
	// another network namespace than firewalld (a container, a sandbox).
	// The two look alike from here, so it is said, not alarmed, and the
	// kernel's verdicts are not given.
	if f.Runtime != nil && !hasTable(rs, "inet", netfilter.FirewalldTable) {
		r.Detailf("the kernel's ruleset read has no firewalld table although firewalld runs: either `nft flush ruleset` was run (firewalld filters nothing; fix: systemctl restart firewalld) or this check runs in another network namespace than firewalld (use --kernel=skip there); kernel verdicts not given")
		return
	}
	reload := planReload(rs, f.Version, k)
	said, findings := map[string]bool{}, 0
	say := func(state plugin.State, line, fix string) {
		if line == "" || said[line] {
			return
		}
		said[line] = true
		if state == plugin.OK {
			r.Detailf("%s", line)
		} else {
			r.Add(state, line, fix)
			findings++
		}
	}
	accepted := 0
	// One Judger per ruleset: what every port's question shares is built once.
	judgeNow, judgeAfter := netfilter.NewJudger(rs), netfilter.NewJudger(reload.after)
	for _, req := range reqs {
		for _, fam := range f.Served {
			for _, port := range tcpPorts(req) {
				for _, iface := range arrivalIfaces(f, fam) {
					q := kernelQuery(f, fam, iface, port)
					now := judgeArrival(judgeNow, q)
					after := judgeArrival(judgeAfter, q)
					if now.v.Outcome == netfilter.Accepted && after.v.Outcome == netfilter.Accepted {
						accepted++
						continue
					}
					fin := finding{req: req, fam: fam, port: port, fwOpens: firewalldOpens(f, req, fam)}
					say(fin.now(now, after, reload))
					if now.v.Outcome == netfilter.Refused && now.v.Rule.InIptablesTable() && reload.why != reload.short {
						// The finding's line says it briefly.
						say(plugin.OK, "kernel after the next reload: "+reload.why, "")
					}
					say(fin.afterReload(now, after, reload))
				}
			}
		}
	}
	if reload.note != "" {
		// A direct rule not judged may refuse after the reload: never OK
		// on it.
		r.Add(plugin.Warning, "cannot tell all the kernel holds after the next firewall-cmd --reload: "+reload.note, "")
		findings++
	}
	if findings > 0 {
		// firewalld's own summary ("all … open") is true of its zones
		// only: the first line must not read as if the port were served.
		r.Summary = fmt.Sprintf("the kernel refuses, or may refuse, required ports beyond what firewalld's configuration says (%d finding%s below); firewalld: %s", findings, plural(findings), r.Summary)
	}
	if rs.LegacyNotRead != "" {
		r.Detailf("kernel: %s; judged from nftables alone", rs.LegacyNotRead)
	}
	r.Debugf("kernel: %d tables read (nft %s); %d port/family verdicts accepted now and after the next reload", len(rs.Tables), rs.NftVersion, accepted)
}

func refusedList(v netfilter.Verdict) string {
	parts := make([]string, 0, len(v.RefusedFor))
	for _, p := range v.RefusedFor {
		parts = append(parts, p.String())
	}
	s := strings.Join(parts, ", ")
	if v.RefusedMore > 0 {
		s += fmt.Sprintf(" and %d more", v.RefusedMore)
	}
	return s
}

// firewalldOpens is firewalld's own runtime verdict for the requirement.
func firewalldOpens(f Facts, req ruleset.Requirement, fam string) bool {
	if f.Runtime == nil {
		return false
	}
	fc, ok := ruleset.Judge(f.Runtime, req, []string{fam}, f.Arrival, f.Zone).Of(fam)
	return ok && fc.Open()
}

// tcpPorts lists the TCP ports of a requirement (a range by its ends).
func tcpPorts(req ruleset.Requirement) []uint16 {
	var out []uint16
	for _, p := range req.Ports {
		if p.Protocol != "tcp" {
			continue
		}
		lo, hi, err := p.Range()
		if err != nil {
			continue
		}
		out = append(out, uint16(lo))
		if hi != lo {
			out = append(out, uint16(hi))
		}
	}
	return out
}

// arrivalIfaces: the interfaces clients arrive on, or "" (unknown).
func arrivalIfaces(f Facts, fam string) []string {
	if ifs := f.Arrival.Interfaces[fam]; len(ifs) > 0 {
		return ifs
	}
	return []string{""}
}

func kernelQuery(f Facts, fam, iface string, port uint16) netfilter.Query {
	q := netfilter.Query{IPv6: fam == ruleset.IPv6, Iface: iface, Port: port}
	if q.IPv6 {
		q.Source = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	} else {
		q.Source = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	if addrs := f.Arrival.HostAddrs[fam]; len(addrs) == 1 {
		q.Dest = addrs[0]
	}
	return q
}

func hasTable(rs *netfilter.Ruleset, family, name string) bool {
	for _, t := range rs.Tables {
		if t.Family == family && t.Name == name && t.Origin == "nftables" {
			return true
		}
	}
	return false
}
