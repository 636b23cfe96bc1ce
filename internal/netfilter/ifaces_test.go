package netfilter

import (
	"encoding/json"
	"fmt"
	"testing"
)

// InterfaceNames is complete only when every interface a table beside
// firewalld's decides on is listed: more names than tried, or the
// interface inside a concatenation, make it incomplete (an accept on the
// names tried then proves nothing); firewalld's own dispatch and its
// rpfilter rule ("oif missing") never do.
func TestInterfaceNamesComplete(t *testing.T) {
	rule := func(js string) Rule {
		var exprs []any
		if err := json.Unmarshal([]byte(js), &exprs); err != nil {
			t.Fatal(err)
		}
		return Rule{Exprs: exprs}
	}
	iifname := func(name string) Rule {
		return rule(fmt.Sprintf(`[{"match":{"op":"==","left":{"meta":{"key":"iifname"}},"right":%q}},{"drop":null}]`, name))
	}
	table := func(name string, rules ...Rule) *Table {
		return &Table{Family: "inet", Name: name, Origin: "nftables", Chains: map[string]*Chain{"input": {Name: "input", Hook: "input", Rules: rules}}}
	}
	many := func(prefix string) []Rule {
		var out []Rule
		for i := range 20 {
			out = append(out, iifname(fmt.Sprintf("%s%d", prefix, i)))
		}
		return out
	}
	rpfilter := rule(`[{"match":{"op":"==","left":{"fib":{"result":"oif","flags":["saddr","mark","iif"]}},"right":false}},{"drop":null}]`)
	concat := rule(`[{"match":{"op":"==","left":{"concat":[{"meta":{"key":"iifname"}},{"payload":{"protocol":"tcp","field":"dport"}}]},"right":"@s"}},{"drop":null}]`)
	cases := []struct {
		name     string
		tables   []*Table
		complete bool
		first    string
	}{
		{"a few names", []*Table{table("mine", iifname("eth0"), iifname("wg*"))}, true, "eth0"},
		{"more names than tried", []*Table{table("mine", many("eth")...)}, false, "eth0"},
		{"firewalld's own many names, another table's first", []*Table{table(FirewalldTable, append(many("a"), rpfilter)...), table("mine", iifname("zz0"))}, true, "zz0"},
		{"the interface in a concatenation", []*Table{table("mine", concat)}, false, OtherInterface},
		{"a reverse-path filter of its own", []*Table{table("mine", rpfilter)}, true, OtherInterface},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			names, complete := InterfaceNames(&Ruleset{Tables: c.tables}, 16)
			if complete != c.complete || names[0] != c.first || names[len(names)-1] != OtherInterface || len(names) > 17 {
				t.Errorf("got %v complete=%v; want first %s complete=%v", names, complete, c.first, c.complete)
			}
		})
	}
}
