package netfilter

import (
	"net/netip"
	"strconv"
	"strings"
)

// match decides one {"match":{op,left,right}} for the packet. what names
// the undecided field when the answer is unknown.
func (w *walker) match(m map[string]any) (tri, string) {
	op := str(m["op"])
	left := m["left"]
	if lm, ok := left.(map[string]any); ok {
		if parts, ok := lm["concat"].([]any); ok {
			fields := make([]field, len(parts))
			for i, p := range parts {
				fields[i] = w.pkt.fieldOf(p)
				if fields[i].kind == fAbsent {
					return no, ""
				}
			}
			return w.applyOp(op, w.concatIn(fields, m["right"]))
		}
	}
	f := w.pkt.fieldOf(left)
	switch f.kind {
	case fAbsent:
		return no, "" // nft adds the protocol dependency: the rule does not match
	case fUnknown:
		return unknown, f.what
	}
	right := m["right"]
	switch op {
	case "<", ">", "<=", ">=":
		return w.order(op, f, right), "the compared value"
	case "in":
		if f.kind == fFlags {
			return w.flagsAny(f, right), ""
		}
	}
	return w.applyOp(op, w.in(f, right))
}

func (w *walker) applyOp(op string, t tri) (tri, string) {
	switch op {
	case "==", "in", "":
		return t, "a set or value"
	case "!=":
		return t.not(), "a set or value"
	}
	return unknown, "operator " + op
}

// in: does the field equal the right side (a value, prefix, range, an
// anonymous {"set":…}, a named "@set")?
func (w *walker) in(f field, right any) tri {
	if s, ok := right.(string); ok && strings.HasPrefix(s, "@") {
		set := w.set(s[1:])
		if set == nil {
			return unknown
		}
		if f.kind == fAddr {
			if idx := w.addrIndex(set); idx != nil {
				return triOf(idx.contains(f.addr))
			}
		}
		return w.anyElem(set.Elements, func(e any) tri { return w.elem(f, e) })
	}
	if m, ok := right.(map[string]any); ok {
		if list, ok := m["set"].([]any); ok {
			return w.anyElem(list, func(e any) tri { return w.elem(f, e) })
		}
	}
	return w.elem(f, right)
}

// concatIn: is the tuple of fields in the right side's concatenations?
func (w *walker) concatIn(fields []field, right any) tri {
	var elems []any
	if s, ok := right.(string); ok && strings.HasPrefix(s, "@") {
		set := w.set(s[1:])
		if set == nil {
			return unknown
		}
		elems = set.Elements
	} else if m, ok := right.(map[string]any); ok {
		if list, ok := m["set"].([]any); ok {
			elems = list
		} else {
			elems = []any{right}
		}
	}
	return w.anyElem(elems, func(e any) tri {
		m, _ := e.(map[string]any)
		parts, _ := m["concat"].([]any)
		if len(parts) != len(fields) {
			return unknown
		}
		all := yes
		for i, part := range parts {
			switch w.elem(fields[i], part) {
			case no:
				return no
			case unknown:
				all = unknown
			}
		}
		return all
	})
}

// anyElem: yes when one element matches, no when none can, else unknown.
func (w *walker) anyElem(elems []any, match func(any) tri) tri {
	out := no
	for _, e := range elems {
		w.j.steps++
		switch match(e) {
		case yes:
			return yes
		case unknown:
			out = unknown
		}
	}
	return out
}

// elem compares the field with one value, prefix or range.
func (w *walker) elem(f field, e any) tri {
	if m, ok := e.(map[string]any); ok {
		if p, ok := m["prefix"].(map[string]any); ok {
			pfx, err := parsePrefix(p)
			if err != nil || f.kind != fAddr {
				return unknown
			}
			return triOf(pfx.Contains(f.addr))
		}
		if r, ok := m["range"].([]any); ok && len(r) == 2 {
			return rangeHas(f, r[0], r[1])
		}
		if inner, ok := m["elem"].(map[string]any); ok {
			return w.elem(f, inner["val"])
		}
		return unknown
	}
	switch f.kind {
	case fAddr:
		a, err := netip.ParseAddr(str(e))
		if err != nil {
			return unknown
		}
		return triOf(a == f.addr)
	case fNum:
		n, ok := num(e)
		if !ok {
			return unknown
		}
		return triOf(n == f.num)
	case fName:
		if f.anyIface {
			// nft 1.0 prints "oif missing" as the JSON boolean false
			// (firewalld's IPv6 rpfilter rule: fib saddr . mark . iif oif
			// false drop): a client's route back exists.
			if missing, isBool := e.(bool); isBool && !missing {
				return no
			}
			if want := str(e); want == "lo" || want == "missing" || want == "0" {
				return no
			}
			return unknown
		}
		return triOf(nameMatches(f, str(e)))
	case fFlags:
		want := flagList(e)
		if len(want) == 0 && e != nil {
			return unknown
		}
		return triOf(sameFlags(f.flags, want))
	}
	return unknown
}

func rangeHas(f field, lo, hi any) tri {
	switch f.kind {
	case fAddr:
		a, err1 := netip.ParseAddr(str(lo))
		b, err2 := netip.ParseAddr(str(hi))
		if err1 != nil || err2 != nil {
			return unknown
		}
		return triOf(a.Compare(f.addr) <= 0 && f.addr.Compare(b) <= 0)
	case fNum:
		a, ok1 := num(lo)
		b, ok2 := num(hi)
		if !ok1 || !ok2 {
			return unknown
		}
		return triOf(a <= f.num && f.num <= b)
	}
	return unknown
}

// nameMatches: interface names take nft's trailing * wildcard ("eth*");
// protocol names also match their number.
func nameMatches(f field, want string) bool {
	if want == f.name || contains(f.alias, want) {
		return true
	}
	if strings.HasSuffix(want, "*") && !strings.HasSuffix(want, `\*`) {
		return strings.HasPrefix(f.name, strings.TrimSuffix(want, "*"))
	}
	return false
}

func sameFlags(have, want []string) bool {
	if len(have) != len(want) {
		return false
	}
	for _, x := range want {
		if !contains(have, x) {
			return false
		}
	}
	return true
}

// flagsAny is the flag test "ct state established,related": any in common.
func (w *walker) flagsAny(f field, right any) tri {
	want := flagList(right)
	if m, ok := right.(map[string]any); ok {
		if list, ok := m["set"].([]any); ok {
			want = flagList(list)
		}
	}
	for _, x := range want {
		if contains(f.flags, x) {
			return yes
		}
	}
	return no
}

func (w *walker) order(op string, f field, right any) tri {
	if f.kind != fNum {
		return unknown
	}
	n, ok := num(right)
	if !ok {
		return unknown
	}
	switch op {
	case "<":
		return triOf(f.num < n)
	case ">":
		return triOf(f.num > n)
	case "<=":
		return triOf(f.num <= n)
	}
	return triOf(f.num >= n)
}

func num(v any) (uint64, bool) {
	switch x := v.(type) {
	case float64:
		if x < 0 {
			return 0, false
		}
		return uint64(x), true
	case string:
		n, err := strconv.ParseUint(x, 0, 64)
		return n, err == nil
	}
	return 0, false
}

func parsePrefix(p map[string]any) (netip.Prefix, error) {
	a, err := netip.ParseAddr(str(p["addr"]))
	if err != nil {
		return netip.Prefix{}, err
	}
	n, _ := num(p["len"])
	return a.Prefix(int(n))
}
