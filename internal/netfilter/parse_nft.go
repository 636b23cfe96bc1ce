package netfilter

import (
	"encoding/json"
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
		for kind, raw := range obj {
			switch kind {
			case "metainfo":
				var m struct {
					Version string `json:"version"`
				}
				_ = json.Unmarshal(raw, &m)
				rs.NftVersion = m.Version
			case "table":
				var t struct{ Family, Name string }
				if err := json.Unmarshal(raw, &t); err != nil {
					return nil, fmt.Errorf("nft -j: bad table: %v", err)
				}
				table(t.Family, t.Name)
			case "chain":
				var c struct {
					Family, Table, Name, Type, Hook, Policy string
					Prio                                    int
					Dev                                     any
				}
				if err := json.Unmarshal(raw, &c); err != nil {
					return nil, fmt.Errorf("nft -j: bad chain: %v", err)
				}
				if chains++; chains > MaxChains {
					return nil, fmt.Errorf("%w: over %d chains", ErrTooLarge, MaxChains)
				}
				t := table(c.Family, c.Table)
				ch := chainOf(t, c.Name)
				ch.Hook, ch.Type, ch.Priority, ch.Policy = c.Hook, c.Type, c.Prio, c.Policy
				if ch.Hook != "" && ch.Policy == "" {
					ch.Policy = "accept"
				}
				ch.Devices = devices(c.Dev)
			case "rule":
				var r struct {
					Family, Table, Chain string
					Handle               int
					Expr                 []json.RawMessage
				}
				if err := json.Unmarshal(raw, &r); err != nil {
					return nil, fmt.Errorf("nft -j: bad rule: %v", err)
				}
				if rules++; rules > MaxRules {
					return nil, fmt.Errorf("%w: over %d rules", ErrTooLarge, MaxRules)
				}
				exprs, err := shared.rawExprs(r.Expr)
				if err != nil {
					return nil, fmt.Errorf("nft -j: bad rule: %v", err)
				}
				ch := chainOf(table(r.Family, r.Table), r.Chain)
				ch.Rules = append(ch.Rules, Rule{Handle: r.Handle, Exprs: exprs, Text: RenderRule(exprs)})
			case "set", "map":
				var s struct {
					Family, Table, Name string
					Type, Map           any
					Elem                []any
				}
				if err := json.Unmarshal(raw, &s); err != nil {
					return nil, fmt.Errorf("nft -j: bad %s: %v", kind, err)
				}
				if elements += len(s.Elem); elements > MaxSetElements {
					return nil, fmt.Errorf("%w: over %d set elements", ErrTooLarge, MaxSetElements)
				}
				set := &Set{Name: s.Name, Type: s.Type, Map: s.Map}
				for _, e := range s.Elem {
					key, data := splitElement(e, kind == "map")
					set.Elements = append(set.Elements, key)
					set.Data = append(set.Data, data)
				}
				table(s.Family, s.Table).Sets[s.Name] = set
			}
		}
	}
	if doc.err != nil {
		return nil, doc.err
	}
	return rs, nil
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
