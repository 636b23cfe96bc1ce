package netfilter

import (
	"bufio"
	"bytes"
	"context"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// IpsetPath is the ipset binary; the sudo rule allows exactly `ipset save`.
const IpsetPath = "/usr/sbin/ipset"

// maxIpsetElements bounds what is kept of `ipset save` (fail2ban's
// iptables-ipset banactions put every ban there).
const maxIpsetElements = 2_000_000

// attachIPSets reads the kernel's ipsets when an iptables rule matches one
// (-m set --match-set NAME src|dst: fail2ban's iptables-ipset banactions,
// firewalld's ipsets on its iptables backend) and gives every iptables
// table the address sets among them, under their names, as nftables'
// named sets are: the judge then looks a source up as in an nft set. A set
// not read (no privilege, a type other than hash:ip or hash:net) stays
// absent, and a rule matching it is "cannot tell".
func attachIPSets(ctx context.Context, host remote.Host, opt ReadOptions, rs *Ruleset) {
	var tables []*Table
	for _, t := range rs.Tables {
		if (t.Origin == "iptables-nft" || t.Origin == "iptables-legacy") && matchesIPSet(t) {
			tables = append(tables, t)
		}
	}
	if len(tables) == 0 {
		return
	}
	out, err := host.Run(ctx, append(append([]string(nil), opt.Prefix...), IpsetPath, "save"))
	if err != nil || out.ExitCode != 0 {
		return
	}
	sets := ParseIpsetSave(out.Stdout)
	for _, t := range tables {
		for name, s := range sets {
			if _, taken := t.Sets[name]; !taken {
				t.Sets[name] = s
			}
		}
	}
}

func matchesIPSet(t *Table) bool {
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			if strings.Contains(r.Text, "--match-set") {
				return true
			}
		}
	}
	return false
}

// ParseIpsetSave reads `ipset save`: "create NAME TYPE family inet|inet6
// …" then "add NAME ENTRY [options]". Only hash:ip and hash:net sets are
// kept (their entries are addresses and prefixes); an entry not read
// drops its whole set, so that a lookup in it is "cannot tell", not a
// miss.
func ParseIpsetSave(data []byte) map[string]*Set {
	sets := map[string]*Set{}
	dropped := map[string]bool{}
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		switch f[0] {
		case "create":
			if f[2] != "hash:ip" && f[2] != "hash:net" {
				dropped[f[1]] = true
				continue
			}
			typ := "ipv4_addr"
			for i := 3; i+1 < len(f); i++ {
				if f[i] == "family" && f[i+1] == "inet6" {
					typ = "ipv6_addr"
				}
			}
			sets[f[1]] = &Set{Name: f[1], Type: typ}
		case "add":
			s := sets[f[1]]
			if s == nil || dropped[f[1]] {
				continue
			}
			v, ok := legacyAddr(f[2])
			if !ok || total >= maxIpsetElements || hasNomatch(f[3:]) {
				delete(sets, f[1])
				dropped[f[1]] = true
				continue
			}
			s.Elements = append(s.Elements, v)
			total++
		}
	}
	if sc.Err() != nil {
		return map[string]*Set{}
	}
	return sets
}

// hasNomatch: a hash:net entry marked nomatch excludes its prefix from a
// wider one; not modelled, so the set is not judged.
func hasNomatch(opts []string) bool {
	for _, o := range opts {
		if o == "nomatch" {
			return true
		}
	}
	return false
}
