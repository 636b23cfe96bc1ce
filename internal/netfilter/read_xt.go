package netfilter

import (
	"context"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// iptables-nft's own dumpers: nft shows an iptables extension it cannot
// translate (multiport, set, recent…) as "xt match NAME" without its
// options, while iptables-nft-save prints the whole rule.
const (
	IptablesNftSave  = "/usr/sbin/iptables-nft-save"
	Ip6tablesNftSave = "/usr/sbin/ip6tables-nft-save"
)

// readXtTables replaces the ip/ip6 tables holding untranslated iptables
// extensions by iptables-nft-save's account of them. When that cannot be
// read, the nft view stays and its xt matches stay undecided.
func readXtTables(ctx context.Context, host remote.Host, opt ReadOptions, rs *Ruleset) {
	for _, fam := range []struct{ family, tool string }{{"ip", IptablesNftSave}, {"ip6", Ip6tablesNftSave}} {
		if !hasXt(rs, fam.family) {
			continue
		}
		out, err := host.Run(ctx, append(append([]string(nil), opt.Prefix...), fam.tool))
		if err != nil || out.ExitCode != 0 {
			continue
		}
		tables, err := ParseIptablesSave(out.Stdout, fam.family)
		if err != nil {
			continue
		}
		for _, nt := range tables {
			nt.Origin = "iptables-nft"
			for i, t := range rs.Tables {
				if t.Origin == "nftables" && t.Family == nt.Family && t.Name == nt.Name {
					rs.Tables[i] = nt
				}
			}
		}
	}
}

func hasXt(rs *Ruleset, family string) bool {
	for _, t := range rs.Tables {
		if t.Family != family {
			continue
		}
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, e := range r.Exprs {
					if m, ok := e.(map[string]any); ok && m["xt"] != nil {
						return true
					}
				}
			}
		}
	}
	return false
}
