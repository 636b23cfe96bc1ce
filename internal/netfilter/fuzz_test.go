package netfilter

import (
	"net/netip"
	"testing"
)

// FuzzJudge: whatever nft -j prints (or a hostile host sends instead),
// parsing and judging never panic and a verdict always has an outcome.
func FuzzJudge(f *testing.F) {
	f.Add(`{"nftables":[` + tableF + `,` + inputF + `,` + banSet + `,` + banRule + `]}`)
	f.Add(`{"nftables":[{"table":{"family":"inet","name":"f"}},{"chain":{"family":"inet","table":"f","name":"in","hook":"input","prio":0,"policy":"drop"}},` +
		`{"rule":{"family":"inet","table":"f","chain":"in","expr":[{"vmap":{"key":{"ct":{"key":"state"}},"data":{"set":[["new",{"jump":{"target":"x"}}]]}}}]}},` +
		`{"rule":{"family":"inet","table":"f","chain":"x","expr":[{"match":{"op":"==","left":{"concat":[{"payload":{"protocol":"ip","field":"saddr"}},{"meta":{"key":"iifname"}}]},"right":{"set":[{"concat":["10.0.0.1","eth*"]}]}}},{"redirect":{"port":25}}]}}]}`)
	f.Add(`{"nftables":[{"rule":{"expr":[{"match":{"left":{"&":[1,2]},"right":{"range":["a"]}}}]}}]}`)
	f.Fuzz(func(t *testing.T, data string) {
		rs, err := ParseNftJSON([]byte(data))
		if err != nil {
			return
		}
		for _, q := range []Query{
			{Source: netip.MustParsePrefix("0.0.0.0/0"), Iface: "eth0", Port: 993},
			{IPv6: true, Source: netip.MustParsePrefix("2001:db8::1/128"), Port: 25},
		} {
			v := Judge(rs, q)
			if v.Outcome < Accepted || v.Outcome > CannotTell {
				t.Fatalf("outcome %d", v.Outcome)
			}
		}
	})
}

// FuzzLegacy: iptables-save output, however odd, parses or is refused,
// and what parses is judged without a panic.
func FuzzLegacy(f *testing.F) {
	f.Add("*filter\n:INPUT DROP [0:0]\n:mine - [0:0]\n-A INPUT -i mail+ -j mine\n-A mine -s 10.0.0.0/8 -p tcp -m multiport --dports 143,990:995 -m comment --comment \"a b\" -j REJECT --reject-with icmp-port-unreachable\n-A mine -m set --match-set f2b src -j DROP\nCOMMIT\n")
	f.Add("*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING ! -s 1.2.3.4 -p tcp --dport 993 -j DNAT --to-destination 10.0.0.1\nCOMMIT\n")
	f.Fuzz(func(t *testing.T, data string) {
		tables, err := ParseIptablesSave([]byte(data), "ip")
		if err != nil {
			return
		}
		Judge(&Ruleset{Tables: tables}, Query{Source: netip.MustParsePrefix("0.0.0.0/0"), Iface: "mail0", Port: 993})
	})
}
