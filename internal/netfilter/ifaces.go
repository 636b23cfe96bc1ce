package netfilter

import (
	"sort"
	"strings"
)

// OtherInterface stands for an arrival interface no rule names (it matches
// no name, only wildcards such as "eth*" do not match it either).
const OtherInterface = "mailchecks-other0"

// InterfaceNames lists the arrival interfaces the ruleset decides on by
// name: iifname/iif compared with a name, an anonymous or named set, or the
// keys of a verdict map (a wildcard "eth*" gives "eth"), and the devices of
// ingress chains; at most max, those of tables beside firewalld's zone
// table first (firewalld's verdict judges its own), and OtherInterface
// last. Judging the packet once on each tells whether a verdict the judge
// could not give without the interface depends on it. complete is false
// when the list may miss an interface a table beside firewalld's decides
// on (more than max names, or the interface inside a concatenation or a
// map not read): then an accept on every name listed proves nothing.
func InterfaceNames(rs *Ruleset, max int) (names []string, complete bool) {
	others := ifaceCollector{seen: map[string]bool{}, complete: true}
	own := ifaceCollector{seen: map[string]bool{}, complete: true}
	for _, t := range rs.Tables {
		c := &others
		if (RuleRef{Origin: t.Origin, Family: t.Family, Table: t.Name}).FirewalldOwned() {
			c = &own
		}
		c.table = t
		for _, ch := range t.Chains {
			for _, d := range ch.Devices {
				c.add(d)
			}
			for _, r := range ch.Rules {
				for _, e := range r.Exprs {
					c.walk(e)
				}
			}
		}
	}
	names = others.sorted(nil)
	complete = others.complete && len(names) <= max
	names = append(names, own.sorted(others.seen)...)
	if len(names) > max {
		names = names[:max]
	}
	return append(names, OtherInterface), complete
}

// sorted lists the names seen, but those in skip.
func (c *ifaceCollector) sorted(skip map[string]bool) []string {
	out := make([]string, 0, len(c.seen))
	for n := range c.seen {
		if !skip[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

type ifaceCollector struct {
	table    *Table
	seen     map[string]bool
	complete bool
}

func (c *ifaceCollector) add(v any) {
	name := strings.TrimSuffix(str(unwrapElem(v)), "*")
	if name != "" && name != "lo" {
		c.seen[name] = true
	}
}

// walk looks for the arrival interface anywhere in an expression: as the
// left side of a match or the key of a verdict map it collects the names
// compared with; anywhere else it marks the list incomplete.
func (c *ifaceCollector) walk(e any) {
	switch v := e.(type) {
	case []any:
		for _, x := range v {
			c.walk(x)
		}
	case map[string]any:
		if isArrivalIface(v) {
			c.complete = false
			return
		}
		if m, ok := v["match"].(map[string]any); ok {
			if left, _ := m["left"].(map[string]any); isArrivalIface(left) {
				c.names(m["right"], false)
				return
			}
		}
		if m, ok := v["vmap"].(map[string]any); ok {
			if key, _ := m["key"].(map[string]any); isArrivalIface(key) {
				c.names(m["data"], true)
				return
			}
		}
		for _, x := range v {
			c.walk(x)
		}
	}
}

// names collects the interface names of a match's right side or a verdict
// map's data (pairs of name and verdict when pairs).
func (c *ifaceCollector) names(v any, pairs bool) {
	switch r := v.(type) {
	case bool:
		// nft 1.0 writes "oif missing" as false: no interface to try.
	case string:
		if r == "missing" {
			return
		}
		if !strings.HasPrefix(r, "@") {
			c.add(r)
			return
		}
		s := c.table.Sets[trimAt(r)]
		if s == nil {
			c.complete = false
			return
		}
		for _, e := range s.Elements {
			c.add(e)
		}
	case map[string]any:
		list, ok := r["set"].([]any)
		if !ok {
			c.complete = false
			return
		}
		for _, e := range list {
			if pair, ok := e.([]any); ok && pairs && len(pair) == 2 {
				e = pair[0]
			}
			if _, scalar := unwrapElem(e).(string); !scalar {
				c.complete = false
				continue
			}
			c.add(e)
		}
	default:
		c.complete = false
	}
}

// isArrivalIface: the expression is the arrival interface (iifname, iif,
// or a reverse-path lookup's output interface, fib saddr … oif).
func isArrivalIface(v map[string]any) bool {
	if meta, ok := v["meta"].(map[string]any); ok {
		key := str(meta["key"])
		return key == "iifname" || key == "iif"
	}
	fib, ok := v["fib"].(map[string]any)
	if !ok {
		return false
	}
	result := str(fib["result"])
	flags, _ := fib["flags"].([]any)
	saddr := false
	for _, f := range flags {
		saddr = saddr || str(f) == "saddr"
	}
	if s, isStr := fib["flags"].(string); isStr {
		saddr = s == "saddr"
	}
	return saddr && (result == "oif" || result == "oifname")
}
