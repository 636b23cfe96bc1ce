package firewalld

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/netfilter"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// kernelFacts is what the kernel check gathered (Config.Kernel).
type kernelFacts struct {
	mode string
	got  netfilter.Gathered
}

// gatherKernel reads the live ruleset unless --kernel=skip. Through the
// host: with --sudo it is already wrapped in sudo -n.
func gatherKernel(ctx context.Context, host remote.Host, cfg Config) kernelFacts {
	mode := cfg.Kernel
	if mode == "" {
		mode = netfilter.ModeSkip
	}
	return kernelFacts{mode: mode, got: netfilter.ReadForMode(ctx, host, mode, netfilter.OptionsFor(false, cfg.ProcNet))}
}

// evaluateKernel adds the kernel's verdict for every required port and
// served family beside firewalld's: a refusal outside firewalld's zones
// (another table, a direct or iptables rule, panic mode) is CRITICAL with
// the rule and its removal; a refusal in firewalld's own table where
// firewalld's runtime view opens the port means the kernel does not hold
// what firewalld reports.
func evaluateKernel(r *plugin.Result, k kernelFacts, f Facts, reqs []ruleset.Requirement) {
	switch {
	case k.mode == netfilter.ModeSkip:
		return
	case k.got.Err != nil:
		r.Add(plugin.Unknown, k.got.Err.Error(), netfilter.KernelFix)
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
	said := map[string]bool{}
	accepted := 0
	for _, req := range reqs {
		for _, fam := range f.Served {
			for _, port := range tcpPorts(req) {
				for _, iface := range arrivalIfaces(f, fam) {
					q := kernelQuery(f, fam, iface, port)
					v := netfilter.Judge(rs, q)
					if v.Outcome == netfilter.Accepted {
						accepted++
						continue
					}
					if v.Outcome == netfilter.CannotTell && iface == "" {
						// No arrival interface known (no default route, no
						// --interface): rules on iifname cannot be decided,
						// and firewalld's verdict above already says it
						// judged the default zone for the same reason.
						line := fmt.Sprintf("the kernel's verdict on %s over %s depends on the arrival interface, which is not known (%s): give --interface", req.Describe(), fam, v.Rule.Text)
						if !said[line] {
							said[line] = true
							r.Detailf("%s", line)
						}
						continue
					}
					line, state, fix := kernelFinding(v, req, fam, port, firewalldOpens(f, req, fam))
					if line != "" && !said[line] {
						said[line] = true
						if state == plugin.OK {
							r.Detailf("%s", line)
						} else {
							r.Add(state, line, fix)
						}
					}
				}
			}
		}
	}
	if rs.LegacyNotRead != "" {
		r.Detailf("kernel: %s; judged from nftables alone", rs.LegacyNotRead)
	}
	r.Debugf("kernel: %d tables read (nft %s); %d port/family verdicts accepted", len(rs.Tables), rs.NftVersion, accepted)
}

// kernelFinding words one verdict that is not a plain accept.
func kernelFinding(v netfilter.Verdict, req ruleset.Requirement, fam string, port uint16, fwOpens bool) (string, plugin.State, string) {
	what := fmt.Sprintf("%s over %s", req.Describe(), fam)
	switch v.Outcome {
	case netfilter.CannotTell:
		return fmt.Sprintf("cannot tell whether the kernel accepts %s: %s (%s)", what, v.Rule, v.Why), plugin.Warning, ""
	case netfilter.RefusedSome:
		if v.Rule.FirewalldOwned() {
			return "", plugin.OK, "" // firewalld's own rich rules: judged from its configuration
		}
		return fmt.Sprintf("kernel: %s is refused for %s by %s", what, refusedList(v), v.Rule), plugin.OK, ""
	}
	switch {
	case v.Rule.Panic():
		return "firewalld's panic mode is on: the kernel drops every packet, " + what + " included", plugin.Critical, "firewall-cmd --panic-off"
	case v.Rule.FirewalldOwned() && fwOpens:
		return fmt.Sprintf("the kernel refuses %s by %s, though firewalld's runtime configuration opens it: the kernel does not hold what firewalld reports", what, v.Rule), plugin.Critical, "firewall-cmd --reload"
	case v.Rule.FirewalldOwned():
		return "", plugin.OK, "" // firewalld's own verdict, reported from its configuration
	}
	survives := "it survives firewall-cmd --reload"
	if v.Rule.Origin == "iptables-nft" {
		survives += " (unless it is a runtime-only firewalld direct rule)"
	}
	return fmt.Sprintf("%s is refused by the kernel outside firewalld's zones: %s; %s", what, v.Rule, survives), plugin.Critical, v.Rule.Fix(netip.Addr{}, port)
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
