package netfilter

import (
	"sort"
	"strings"
)

// OtherInterface stands for an arrival interface no rule names (it matches
// no name, only wildcards such as "eth*" do not match it either).
const OtherInterface = "mailchecks-other0"

// InterfaceNames lists the arrival interfaces the inbound base chains of
// the ruleset match on by name (iifname/iif equal to a name or in an
// anonymous set; a wildcard "eth*" gives "eth"), sorted, at most max, and
// OtherInterface last: judging the packet once on each tells whether a
// verdict the judge could not give without the interface depends on it.
func InterfaceNames(rs *Ruleset, max int) []string {
	seen := map[string]bool{}
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				for _, e := range r.Exprs {
					collectIfaces(e, seen)
				}
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > max {
		names = names[:max]
	}
	return append(names, OtherInterface)
}

func collectIfaces(e any, seen map[string]bool) {
	m, ok := e.(map[string]any)
	if !ok {
		return
	}
	mm, ok := m["match"].(map[string]any)
	if !ok {
		return
	}
	left, _ := mm["left"].(map[string]any)
	meta, _ := left["meta"].(map[string]any)
	if key := str(meta["key"]); key != "iifname" && key != "iif" {
		return
	}
	add := func(v any) {
		name := strings.TrimSuffix(str(v), "*")
		if name != "" && name != "lo" {
			seen[name] = true
		}
	}
	switch right := mm["right"].(type) {
	case string:
		add(right)
	case map[string]any:
		list, _ := right["set"].([]any)
		for _, v := range list {
			add(v)
		}
	}
}
