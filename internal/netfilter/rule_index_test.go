package netfilter

import (
	"fmt"
	"math/rand"
	"net/netip"
	"strings"
	"testing"
)

// banRules is an inet table whose input chain holds n single-source
// rejects on 993 (firewallcmd-rich-rules' shape) before an accept of 993.
func banRules(n int) []string {
	objs := []string{tableF, inputF}
	for i := 0; i < n; i++ {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		objs = append(objs, fmt.Sprintf(`{"rule":{"family":"inet","table":"f","chain":"in","handle":%d,"expr":[`+
			`{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":"%s"}},`+
			`{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":993}},{"reject":null}]}}`, i+10, a))
	}
	return objs
}

// TestTenThousandSingleSourceRejects: 10,000 bans cut "any address" into
// about 20,000 pieces; walked rule by rule that is 2×10^8 rule visits, past
// the step budget ("cannot tell"). With the source index each piece visits
// its own rule only, and every ban is named.
func TestTenThousandSingleSourceRejects(t *testing.T) {
	rs := ruleset(t, banRules(10_000)...)
	v := Judge(rs, anyV4(993))
	if v.Outcome != RefusedSome {
		t.Fatalf("got %s (%s), want refused for some", v.Outcome, v.Why)
	}
	if len(v.RefusedRules) != 10_000 || v.RefusedFor[0].String() != "10.0.0.0/19" {
		t.Errorf("%d refusing rules, first range %v", len(v.RefusedRules), v.RefusedFor[0])
	}
	if v := Judge(rs, anyV4(143)); v.Outcome != Accepted {
		t.Errorf("143: got %s", v.Outcome)
	}
}

// TestSourceIndexAgrees: random long chains (guards of both families and
// several prefix lengths, statements before a source match, unguarded
// rules, jumps) judged with the index and rule by rule give one verdict.
func TestSourceIndexAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	addr := func(six bool) (string, string) {
		if six {
			return "ip6", fmt.Sprintf("2001:db8::%x", rng.Intn(8))
		}
		return "ip", fmt.Sprintf("192.0.2.%d", rng.Intn(8))
	}
	for round := 0; round < 40; round++ {
		objs := []string{tableF, inputF, `{"chain":{"family":"inet","table":"f","name":"sub"}}`}
		for i := 0; i < 90; i++ {
			proto, a := addr(rng.Intn(3) == 0)
			right := `"` + a + `"`
			if rng.Intn(4) == 0 {
				bits := 24
				if proto == "ip6" {
					bits = 120
				}
				p := netip.MustParsePrefix(fmt.Sprintf("%s/%d", a, bits)).Masked()
				right = fmt.Sprintf(`{"prefix":{"addr":"%s","len":%d}}`, p.Addr(), bits)
			}
			src := fmt.Sprintf(`{"match":{"op":"==","left":{"payload":{"protocol":"%s","field":"saddr"}},"right":%s}}`, proto, right)
			port := fmt.Sprintf(`{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":%d}}`, 990+rng.Intn(5))
			verdict := []string{`{"reject":null}`, `{"accept":null}`, `{"drop":null}`, `{"jump":{"target":"sub"}}`}[rng.Intn(4)]
			var exprs []string
			switch rng.Intn(4) {
			case 0: // unguarded
				exprs = []string{port, verdict}
			case 1: // a statement first: never skipped
				exprs = []string{`{"counter":null}`, src, port, verdict}
			default:
				exprs = []string{src, port, verdict}
			}
			objs = append(objs, fmt.Sprintf(`{"rule":{"family":"inet","table":"f","chain":"in","handle":%d,"expr":[%s]}}`, i+10, strings.Join(exprs, ",")))
		}
		objs = append(objs, `{"rule":{"family":"inet","table":"f","chain":"sub","handle":200,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":"192.0.2.3"}},{"drop":null}]}}`)
		rs := ruleset(t, objs...)
		for _, q := range []Query{anyV4(993), anyV4(991), {IPv6: true, Source: netip.MustParsePrefix("::/0"), Iface: "eth0", Port: 992}} {
			with, without := judgeIndexed(rs, q, 1), judgeIndexed(rs, q, 1<<30)
			if fmt.Sprint(with) != fmt.Sprint(without) {
				t.Fatalf("round %d, port %d: with the index %+v\nrule by rule %+v", round, q.Port, with, without)
			}
		}
	}
}
