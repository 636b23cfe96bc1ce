package netfilter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strconv"
)

// Reading nft's JSON in bounded memory. At 10,000 fail2ban ban rules nft
// prints 3.8 MB; decoded whole into generic values (one map per object,
// one per expression and per operand) it held over 50 MB, and the
// collector ran through the whole judgement. So the "nftables" array is read one object at a time, and each
// rule's expressions are shared with every identical expression seen
// before (the judge only reads them): a ban rule then owns little more
// than its address.

// nftDoc streams the objects of `nft -j list ruleset`'s "nftables" array.
type nftDoc struct {
	dec *json.Decoder
	err error
}

// openNftJSON positions a decoder on the "nftables" array.
func openNftJSON(data []byte) (*nftDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	notJSON := func(err error) error { return fmt.Errorf("nft -j output is not JSON: %v", err) }
	if tok, err := dec.Token(); err != nil {
		return nil, notJSON(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New(`nft -j output has no "nftables" array`)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, notJSON(err)
		}
		if key, _ := tok.(string); key != "nftables" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, notJSON(err)
			}
			continue
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, notJSON(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			break
		}
		return &nftDoc{dec: dec}, nil
	}
	return nil, errors.New(`nft -j output has no "nftables" array`)
}

// nftObject is one element of the array, decoded into the fields the
// judge reads; other kinds (flowtables, counters, quotas, ct helpers) and
// fields are skipped by the decoder without being kept.
type nftObject struct {
	Metainfo *struct {
		Version any `json:"version"`
	} `json:"metainfo"`
	Table *struct{ Family, Name string } `json:"table"`
	Chain *nftChain                      `json:"chain"`
	Rule  *nftRule                       `json:"rule"`
	Set   *nftSet                        `json:"set"`
	Map   *nftSet                        `json:"map"`
}

type nftChain struct {
	Family, Table, Name, Type, Hook, Policy string
	Prio                                    int
	Dev                                     any
}

// nftRule keeps each expression's JSON text: identical ones are decoded
// once (exprInterner.rawExprs).
type nftRule struct {
	Family, Table, Chain string
	Handle               int
	Expr                 []json.RawMessage
}

type nftSet struct {
	Family, Table, Name string
	Type, Map           any
	Elem                []any
}

// objects yields the array's objects one by one; after the loop, err says
// whether the array was read to its end.
func (d *nftDoc) objects() iter.Seq[*nftObject] {
	return func(yield func(*nftObject) bool) {
		for d.dec.More() {
			obj := &nftObject{}
			if err := d.dec.Decode(obj); err != nil {
				var typeErr *json.UnmarshalTypeError
				if errors.As(err, &typeErr) {
					d.err = fmt.Errorf("nft -j: bad object: %v", err)
				} else {
					d.err = fmt.Errorf("nft -j output is not JSON: %v", err)
				}
				return
			}
			if !yield(obj) {
				return
			}
		}
		if _, err := d.dec.Token(); err != nil { // the closing ]
			d.err = fmt.Errorf("nft -j output is not JSON: %v", err)
		}
	}
}

// exprInterner shares identical decoded values: each list or map is
// replaced by the first one equal to it, bottom up, so that equal
// operands of different rules are one value in memory. An expression
// whose text was seen before is not decoded again: of a ban rule's
// expressions only the one naming its address is new.
type exprInterner struct {
	ids    map[string]int // a list's or map's key: its parts' keys
	values []any
	others int            // values of other types seen (never shared)
	byText map[string]any // an expression's JSON text: its shared value
}

func newExprInterner() *exprInterner {
	return &exprInterner{ids: map[string]int{}, byText: map[string]any{}}
}

// rawExprs decodes a rule's expressions, each shared with an equal one
// seen before.
func (in *exprInterner) rawExprs(raws []json.RawMessage) ([]any, error) {
	out := make([]any, len(raws))
	for i, raw := range raws {
		if v, ok := in.byText[string(raw)]; ok {
			out[i] = v
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		out[i], _ = in.value(v)
		in.byText[string(raw)] = out[i]
	}
	return out, nil
}

// value returns the shared value equal to v and its key: a scalar's own
// text, a list's or map's id.
func (in *exprInterner) value(v any) (any, string) {
	var key []byte
	switch x := v.(type) {
	case nil:
		return v, "z"
	case bool:
		return v, "b" + strconv.FormatBool(x)
	case float64:
		return v, "n" + strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return v, "s" + strconv.Itoa(len(x)) + ":" + x
	case []any:
		key = append(key, 'l')
		for i, e := range x {
			shared, k := in.value(e)
			if k[0] == '#' {
				x[i] = shared
			}
			key = append(append(key, k...), ',')
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		key = append(key, 'm')
		for _, name := range keys {
			shared, k := in.value(x[name])
			if k[0] == '#' {
				x[name] = shared
			}
			key = strconv.AppendInt(key, int64(len(name)), 10)
			key = append(append(append(append(key, ':'), name...), k...), ',')
		}
	default:
		in.others++
		return v, "?" + strconv.Itoa(in.others) // not a decoded JSON value: never shared
	}
	if id, ok := in.ids[string(key)]; ok {
		return in.values[id], "#" + strconv.Itoa(id)
	}
	id := len(in.values)
	in.ids[string(key)] = id
	in.values = append(in.values, v)
	return v, "#" + strconv.Itoa(id)
}
