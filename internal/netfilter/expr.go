package netfilter

import "net/netip"

// stepKind is what one expression does to the walk.
type stepKind int

const (
	sNext      stepKind = iota // matched, or a statement with no effect on the verdict
	sNoMatch                   // the rule does not match: next rule
	sUndecided                 // a match the judge cannot decide: fork
	sLimited                   // a rate limit: matches below the rate
	sAccept
	sRefuse // drop, reject
	sUnknown
	sContinue
	sReturn
	sJump
	sGoto
	sRedirect // a nat rule delivering the packet here, maybe to another port
)

type step struct {
	kind     stepKind
	target   string
	why      string
	inverted bool
	port     uint16 // sRedirect: the new destination port
}

// noEffect are statements that never change whether a new connection is
// accepted (marks only matter where matched, and a match on a mark is
// undecided as soon as any rule sets one; see packet.marksKnow).
var noEffect = map[string]bool{
	"counter": true, "log": true, "set": true, "snat": true, "masquerade": true,
	"dup": true, "flow": true, "ct helper": true, "ct timeout": true,
	"ct expectation": true, "secmark": true, "comment": true, "mangle": true,
}

// expr evaluates one expression of a rule.
func (w *walker) expr(e any) step {
	m, ok := e.(map[string]any)
	if !ok {
		return step{kind: sUnknown, why: "an expression that is not an object"}
	}
	for key, val := range m {
		switch key {
		case "match":
			mm, _ := val.(map[string]any)
			t, what := w.match(mm)
			switch t {
			case yes:
				return step{kind: sNext}
			case no:
				return step{kind: sNoMatch}
			}
			return step{kind: sUndecided, why: what}
		case "accept":
			return step{kind: sAccept}
		case "drop":
			return step{kind: sRefuse}
		case "reject":
			// nft drops an implied "meta nfproto" before "reject with icmp"
			// (IPv4 only) or "with icmpv6" (IPv6 only) from its listing.
			r, _ := val.(map[string]any)
			if t := str(r["type"]); (t == "icmp" && w.pkt.q.IPv6) || (t == "icmpv6" && !w.pkt.q.IPv6) {
				return step{kind: sNoMatch}
			}
			return step{kind: sRefuse}
		case "continue":
			return step{kind: sContinue}
		case "return":
			return step{kind: sReturn}
		case "jump", "goto":
			target, _ := val.(map[string]any)
			k := sJump
			if key == "goto" {
				k = sGoto
			}
			return step{kind: k, target: str(target["target"])}
		case "vmap":
			return w.vmap(val)
		case "limit":
			lm, _ := val.(map[string]any)
			inv, _ := lm["inv"].(bool)
			return step{kind: sLimited, inverted: inv}
		case "xt":
			x, _ := val.(map[string]any)
			if str(x["type"]) == "match" {
				return step{kind: sUndecided, why: "iptables extension match " + str(x["name"]) + " (nft does not show its options)"}
			}
			switch str(x["name"]) { // iptables-nft's targets whose effect needs no option
			case "REJECT", "DROP":
				return step{kind: sRefuse}
			case "ACCEPT":
				return step{kind: sAccept}
			case "LOG", "NFLOG", "MARK", "CONNMARK":
				return step{kind: sNext}
			}
			return step{kind: sUnknown, why: "iptables extension " + str(x["type"]) + " " + str(x["name"])}
		case "queue":
			return step{kind: sUnknown, why: "queue hands the packet to a user-space program"}
		case "dnat", "redirect":
			return w.nat(key, val)
		case "tproxy":
			return step{kind: sUnknown, why: key + " changes where the packet goes"}
		case "notrack":
			return step{kind: sUnknown, why: "notrack changes the conntrack state later rules see"}
		case "quota", "ct count", "connlimit":
			return step{kind: sUndecided, why: key}
		}
		if noEffect[key] {
			return step{kind: sNext}
		}
		return step{kind: sUnknown, why: "statement " + key + " is not understood"}
	}
	return step{kind: sUnknown, why: "an empty expression"}
}

// vmap decides "KEY vmap { value : verdict, … }": the verdict of the element
// that matches, or nothing (next rule) when none does.
func (w *walker) vmap(val any) step {
	vm, _ := val.(map[string]any)
	f := w.pkt.fieldOf(vm["key"])
	if f.kind == fAbsent {
		return step{kind: sNoMatch}
	}
	if f.kind == fUnknown {
		return step{kind: sUnknown, why: "verdict map on " + f.what}
	}
	var keys, data []any
	switch d := vm["data"].(type) {
	case string:
		s := w.set(trimAt(d))
		if s == nil {
			return step{kind: sUnknown, why: "verdict map " + d + " was not read"}
		}
		keys, data = s.Elements, s.Data
	case map[string]any:
		list, _ := d["set"].([]any)
		for _, e := range list {
			pair, _ := e.([]any)
			if len(pair) != 2 {
				return step{kind: sUnknown, why: "a verdict map element not understood"}
			}
			keys, data = append(keys, unwrapElem(pair[0])), append(data, pair[1])
		}
	}
	for i, k := range keys {
		w.j.steps++
		switch w.elem(f, k) {
		case yes:
			s := w.expr(data[i])
			if s.kind == sNext || s.kind == sNoMatch {
				return step{kind: sUnknown, why: "a verdict map value not understood"}
			}
			return s
		case unknown:
			return step{kind: sUnknown, why: "a verdict map key not understood"}
		}
	}
	return step{kind: sNoMatch}
}

// nat: "redirect to :PORT" and "dnat to :PORT" (or to the host's own
// address) deliver the packet here on PORT: the nat chain accepts it and
// later chains see the new port. A dnat elsewhere forwards the packet.
func (w *walker) nat(key string, val any) step {
	m, _ := val.(map[string]any)
	port := w.pkt.q.Port
	if m["port"] != nil {
		n, ok := num(m["port"])
		if !ok || n == 0 || n > 65535 {
			return step{kind: sUnknown, why: key + " to a port not understood"}
		}
		port = uint16(n)
	}
	if key == "dnat" && m["addr"] != nil {
		a, err := netip.ParseAddr(str(m["addr"]))
		if err != nil || !w.pkt.q.Dest.IsValid() || a != w.pkt.q.Dest {
			return step{kind: sUnknown, why: "dnat to another address forwards the packet instead of delivering it here"}
		}
	}
	return step{kind: sRedirect, port: port}
}

func trimAt(s string) string {
	if len(s) > 0 && s[0] == '@' {
		return s[1:]
	}
	return s
}
