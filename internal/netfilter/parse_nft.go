package netfilter

import (
	"errors"
	"fmt"
)

// Bounds against a hostile or absurd ruleset: beyond them the ruleset is
// refused as a whole (UNKNOWN in the checks) rather than judged in part.
const (
	MaxJSONBytes   = 64 << 20 // nft -j output read
	MaxRules       = 200_000
	MaxSetElements = 2_000_000 // over all sets
	MaxChains      = 50_000
)

// ErrTooLarge is returned for a ruleset over the bounds above.
var ErrTooLarge = errors.New("ruleset too large to judge")

// ParseNftJSON decodes `nft -j list ruleset` output (libnftables-json(5))
// into a Ruleset. Objects it does not need (flowtables, counters, quotas,
// ct helpers) are skipped.
func ParseNftJSON(data []byte) (*Ruleset, error) {
	if len(data) > MaxJSONBytes {
		return nil, fmt.Errorf("%w: nft output over %d MiB", ErrTooLarge, MaxJSONBytes>>20)
	}
	doc, err := openNftJSON(data) // parse_stream.go: one object at a time
	if err != nil {
		return nil, err
	}
	shared := newExprInterner()
	rs := &Ruleset{}
	tables := map[string]*Table{}
	table := func(family, name string) *Table {
		key := family + " " + name
		t := tables[key]
		if t == nil {
			t = &Table{Family: family, Name: name, Origin: "nftables", Chains: map[string]*Chain{}, Sets: map[string]*Set{}}
			tables[key] = t
			rs.Tables = append(rs.Tables, t)
		}
		return t
	}
	rules, elements, chains := 0, 0, 0
	for obj := range doc.objects() {
		if m := obj.Metainfo; m != nil {
			rs.NftVersion, _ = m.Version.(string) // said, not judged: any other type is ignored
		}
		if t := obj.Table; t != nil {
			table(t.Family, t.Name)
		}
		if c := obj.Chain; c != nil {
			if chains++; chains > MaxChains {
				return nil, fmt.Errorf("%w: over %d chains", ErrTooLarge, MaxChains)
			}
			ch := chainOf(table(c.Family, c.Table), c.Name)
			ch.Hook, ch.Type, ch.Priority, ch.Policy = c.Hook, c.Type, c.Prio, c.Policy
			if ch.Hook != "" && ch.Policy == "" {
				ch.Policy = "accept"
			}
			ch.Devices = devices(c.Dev)
		}
		if r := obj.Rule; r != nil {
			if rules++; rules > MaxRules {
				return nil, fmt.Errorf("%w: over %d rules", ErrTooLarge, MaxRules)
			}
			exprs, err := shared.rawExprs(r.Expr)
			if err != nil {
				return nil, fmt.Errorf("nft -j: bad rule: %v", err)
			}
			ch := chainOf(table(r.Family, r.Table), r.Chain)
			ch.Rules = append(ch.Rules, Rule{Handle: r.Handle, Exprs: exprs, Text: RenderRule(exprs)})
		}
		for _, s := range []struct {
			set   *nftSet
			isMap bool
		}{{obj.Set, false}, {obj.Map, true}} {
			if s.set == nil {
				continue
			}
			if elements += len(s.set.Elem); elements > MaxSetElements {
				return nil, fmt.Errorf("%w: over %d set elements", ErrTooLarge, MaxSetElements)
			}
			table(s.set.Family, s.set.Table).Sets[s.set.Name] = newSet(s.set, s.isMap)
		}
	}
	if doc.err != nil {
		return nil, doc.err
	}
	return rs, nil
}

// newSet is a set or map as the judge reads it: keys, and for a map
// each key's data.
func newSet(s *nftSet, isMap bool) *Set {
	set := &Set{Name: s.Name, Type: s.Type, Map: s.Map}
	for _, e := range s.Elem {
		key, data := splitElement(e, isMap)
		set.Elements = append(set.Elements, key)
		set.Data = append(set.Data, data)
	}
	return set
}

func chainOf(t *Table, name string) *Chain {
	ch := t.Chains[name]
	if ch == nil {
		ch = &Chain{Name: name}
		t.Chains[name] = ch
	}
	return ch
}

// devices reads a chain's "dev": one name or a list.
func devices(v any) []string {
	switch d := v.(type) {
	case string:
		return []string{d}
	case []any:
		var out []string
		for _, x := range d {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// splitElement separates a map element [key, value] and unwraps
// {"elem":{"val":…}} (elements with timeouts, counters or comments).
func splitElement(e any, isMap bool) (key, data any) {
	if isMap {
		if pair, ok := e.([]any); ok && len(pair) == 2 {
			return unwrapElem(pair[0]), pair[1]
		}
	}
	return unwrapElem(e), nil
}

func unwrapElem(e any) any {
	if m, ok := e.(map[string]any); ok {
		if inner, ok := m["elem"].(map[string]any); ok {
			return inner["val"]
		}
	}
	return e
}
