package netfilter

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
)

// ruleset builds a Ruleset from nft -j's JSON objects (as nft prints them).
func ruleset(t *testing.T, objects ...string) *Ruleset {
	t.Helper()
	rs, err := ParseNftJSON([]byte(`{"nftables":[` + strings.Join(objects, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

const (
	tableF  = `{"table":{"family":"inet","name":"f"}}`
	inputF  = `{"chain":{"family":"inet","table":"f","name":"in","type":"filter","hook":"input","prio":0,"policy":"accept"}}`
	banSet  = `{"set":{"family":"inet","table":"f","name":"ban","type":"ipv4_addr","flags":["interval"],"elem":[{"prefix":{"addr":"10.0.0.0","len":8}},"192.0.2.7",{"range":["198.51.100.10","198.51.100.20"]}]}}`
	banRule = `{"rule":{"family":"inet","table":"f","chain":"in","handle":4,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":"@ban"}},{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":993}},{"reject":null}]}}`
)

func anyV4(port uint16) Query {
	return Query{Source: netip.MustParsePrefix("0.0.0.0/0"), Iface: "eth0", Port: port}
}

func TestRefusedForSomeSources(t *testing.T) {
	rs := ruleset(t, tableF, inputF, banSet, banRule)
	v := Judge(rs, anyV4(993))
	if v.Outcome != RefusedSome {
		t.Fatalf("got %s, want refused for some", v.Outcome)
	}
	var got []string
	for _, p := range v.RefusedFor {
		got = append(got, p.String())
	}
	want := "10.0.0.0/8 192.0.2.7/32 198.51.100.10/31 198.51.100.12/30 198.51.100.16/30 198.51.100.20/32"
	if strings.Join(got, " ") != want {
		t.Errorf("refused for %v, want %s", got, want)
	}
	if v.Rule.Handle != 4 || len(v.RefusedRules) != 1 {
		t.Errorf("rule %+v, rules %d", v.Rule, len(v.RefusedRules))
	}
	if v := Judge(rs, anyV4(143)); v.Outcome != Accepted {
		t.Errorf("143: got %s", v.Outcome)
	}
	one := anyV4(993)
	one.Source = netip.MustParsePrefix("10.1.2.3/32")
	if v := Judge(rs, one); v.Outcome != Refused || v.Rule.Handle != 4 {
		t.Errorf("10.1.2.3: got %s by %s", v.Outcome, v.Rule)
	}
	six := Query{IPv6: true, Source: netip.MustParsePrefix("::/0"), Iface: "eth0", Port: 993}
	if v := Judge(rs, six); v.Outcome != Accepted {
		t.Errorf("IPv6: got %s (the ban is IPv4 only)", v.Outcome)
	}
}

// A rule the judge cannot decide that could refuse the packet makes the
// verdict "cannot tell" naming it, never "accepted"; one that can only
// accept early does not matter when the rest accepts anyway.
func TestCannotTellNeverAccepts(t *testing.T) {
	sport := `{"rule":{"family":"inet","table":"f","chain":"in","handle":7,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"sport"}},"right":{"range":[1024,65535]}}},{"drop":null}]}}`
	unknownStmt := `{"rule":{"family":"inet","table":"f","chain":"in","handle":8,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":993}},{"synproxy":{"mss":1460}}]}}`
	xtMatch := `{"rule":{"family":"inet","table":"f","chain":"in","handle":9,"expr":[{"xt":{"type":"match","name":"recent"}},{"drop":null}]}}`
	acceptUnknown := `{"rule":{"family":"inet","table":"f","chain":"in","handle":10,"expr":[{"match":{"op":"==","left":{"meta":{"key":"skuid"}},"right":0}},{"accept":null}]}}`
	for _, tc := range []struct {
		rule   string
		want   Outcome
		handle int
	}{
		{sport, CannotTell, 7},
		{unknownStmt, CannotTell, 8},
		{xtMatch, CannotTell, 9},
		{acceptUnknown, Accepted, 0},
	} {
		v := Judge(ruleset(t, tableF, inputF, tc.rule), anyV4(993))
		if v.Outcome != tc.want || v.Rule.Handle != tc.handle {
			t.Errorf("rule %d: got %s (%s: %s), want %s", tc.handle, v.Outcome, v.Rule, v.Why, tc.want)
		}
	}
	// An undecided accept before a policy drop: cannot tell.
	dropPolicy := strings.Replace(inputF, `"policy":"accept"`, `"policy":"drop"`, 1)
	if v := Judge(ruleset(t, tableF, dropPolicy, acceptUnknown), anyV4(993)); v.Outcome != CannotTell || v.Rule.Handle != 10 {
		t.Errorf("undecided accept before drop: got %s (%s)", v.Outcome, v.Rule)
	}
	// But a sure refusal elsewhere decides whatever was undecided.
	other := `{"table":{"family":"ip","name":"o"}},{"chain":{"family":"ip","table":"o","name":"in","type":"filter","hook":"input","prio":10,"policy":"drop"}}`
	if v := Judge(ruleset(t, tableF, inputF, sport, other), anyV4(993)); v.Outcome != Refused || !v.Rule.Policy || v.Rule.Table != "o" {
		t.Errorf("sure drop elsewhere: got %s (%s)", v.Outcome, v.Rule)
	}
}

// Hostile rulesets stay bounded in time and memory: a jump chain deeper
// than the kernel allows, a ban set of 200,000 addresses asked about for
// any source, a chain of 20,000 undecidable rules.
func TestHostileRulesetsBounded(t *testing.T) {
	var deep []string
	deep = append(deep, tableF, inputF)
	for i := 0; i < 100; i++ {
		deep = append(deep, fmt.Sprintf(`{"chain":{"family":"inet","table":"f","name":"c%d"}}`, i))
		from := "in"
		if i > 0 {
			from = fmt.Sprintf("c%d", i-1)
		}
		deep = append(deep, fmt.Sprintf(`{"rule":{"family":"inet","table":"f","chain":"%s","handle":%d,"expr":[{"jump":{"target":"c%d"}}]}}`, from, i+1, i))
	}
	var elems []string
	for i := 0; i < 200_000; i++ {
		elems = append(elems, fmt.Sprintf(`"10.%d.%d.%d"`, i>>16, (i>>8)&255, i&255*1))
	}
	huge := `{"set":{"family":"inet","table":"f","name":"ban","type":"ipv4_addr","elem":[` + strings.Join(elems, ",") + `]}}`
	var undecided []string
	undecided = append(undecided, tableF, inputF)
	for i := 0; i < 20_000; i++ {
		undecided = append(undecided, fmt.Sprintf(`{"rule":{"family":"inet","table":"f","chain":"in","handle":%d,"expr":[{"match":{"op":"==","left":{"meta":{"key":"cpu"}},"right":%d}},{"drop":null}]}}`, i+1, i))
	}
	for _, tc := range []struct {
		name    string
		objects []string
		want    Outcome
	}{
		{"deep jumps", deep, CannotTell},
		{"huge ban set", []string{tableF, inputF, huge, banRule}, RefusedSome},
		{"many undecidable rules", undecided, CannotTell},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := ruleset(t, tc.objects...)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			v := Judge(rs, anyV4(993))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if v.Outcome != tc.want {
				t.Errorf("got %s (%s: %s), want %s", v.Outcome, v.Rule, v.Why, tc.want)
			}
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 512<<20 {
				t.Errorf("allocated %d MiB", grown>>20)
			}
			t.Logf("%s: %s in %v", tc.name, v.Outcome, took)
		})
	}
}

// nft 1.1 (Debian 13) writes a flag mask as {"|": [...]}, nft 1.0 as a
// list: both are read alike.
func TestFlagMasksOfBothNftVersions(t *testing.T) {
	for _, mask := range []string{`["syn","ack"]`, `{"|":["syn","ack"]}`} {
		notSyn := `{"rule":{"family":"inet","table":"f","chain":"in","handle":3,"expr":[{"match":{"op":"!=","left":{"&":[{"payload":{"protocol":"tcp","field":"flags"}},` + mask + `]},"right":"syn"}},{"accept":null}]}}`
		dropPolicy := strings.Replace(inputF, `"policy":"accept"`, `"policy":"drop"`, 1)
		if v := Judge(ruleset(t, tableF, dropPolicy, notSyn), anyV4(993)); v.Outcome != Refused || !v.Rule.Policy {
			t.Errorf("mask %s: a SYN passed 'tcp flags & (syn|ack) != syn accept': %s (%s)", mask, v.Outcome, v.Rule)
		}
	}
}

// firewalld's IPv6 reverse-path rule as nft 1.0 prints it ("oif missing"
// is the JSON false): a client whose arrival interface is not known still
// has a route back, so the rule does not refuse it (it made every IPv6
// judgement "cannot tell" on a stock firewalld when the check ran without
// an interface, e.g. over SSH without a default route).
func TestRPFilterWithUnknownInterface(t *testing.T) {
	pre := `{"chain":{"family":"inet","table":"f","name":"pre","type":"filter","hook":"prerouting","prio":-290,"policy":"accept"}}`
	rpf := `{"rule":{"family":"inet","table":"f","chain":"pre","handle":7,"expr":[` +
		`{"match":{"op":"==","left":{"meta":{"key":"nfproto"}},"right":"ipv6"}},` +
		`{"match":{"op":"==","left":{"fib":{"result":"oif","flags":["saddr","mark","iif"]}},"right":false}},{"drop":null}]}}`
	rs := ruleset(t, tableF, inputF, pre, rpf)
	for _, iface := range []string{"", "eth0"} {
		q := Query{IPv6: true, Source: netip.MustParsePrefix("::/0"), Iface: iface, Port: 993}
		if v := Judge(rs, q); v.Outcome != Accepted {
			t.Errorf("iface %q: got %s by %s, want accepted", iface, v.Outcome, v.Rule)
		}
	}
}
