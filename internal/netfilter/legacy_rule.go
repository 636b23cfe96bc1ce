package netfilter

import (
	"net/netip"
	"strings"
)

// translateRule turns one iptables rule's words (after "-A CHAIN") into
// nftables JSON expressions. Anything not translated becomes an "xt"
// match or target, which the judge treats as undecided, never as passing.
func translateRule(words []string, family string) []any {
	var exprs []any
	proto := ""
	neg := false
	match := func(left, right any) {
		op := "=="
		if neg {
			op = "!="
		}
		exprs = append(exprs, map[string]any{"match": map[string]any{"op": op, "left": left, "right": right}})
		neg = false
	}
	unknownMatch := func(name string) {
		exprs = append(exprs, map[string]any{"xt": map[string]any{"type": "match", "name": name}})
		neg = false
	}
	var verdict any
	for i := 0; i < len(words); i++ {
		w := words[i]
		arg := func() string {
			if i+1 < len(words) {
				i++
				return words[i]
			}
			return ""
		}
		switch w {
		case "!":
			neg = true
		case "-s", "--source", "-d", "--destination":
			field := "saddr"
			if w == "-d" || w == "--destination" {
				field = "daddr"
			}
			v, ok := legacyAddr(arg())
			if !ok {
				unknownMatch(w)
				continue
			}
			match(map[string]any{"payload": map[string]any{"protocol": family, "field": field}}, v)
		case "-i", "--in-interface", "-o", "--out-interface":
			key := "iifname"
			if w[1] == 'o' || w == "--out-interface" {
				key = "oifname"
			}
			name := arg()
			if strings.HasSuffix(name, "+") {
				name = strings.TrimSuffix(name, "+") + "*"
			}
			match(map[string]any{"meta": map[string]any{"key": key}}, name)
		case "-p", "--protocol":
			proto = strings.ToLower(arg())
			if proto == "6" {
				proto = "tcp"
			}
			match(map[string]any{"meta": map[string]any{"key": "l4proto"}}, proto)
		case "-m", "--match":
			switch arg() {
			case "tcp", "udp", "comment", "state", "conntrack", "multiport", "set":
			default:
				unknownMatch("-m " + words[i])
			}
		case "--match-set":
			// An ipset (attachIPSets gives the table it by name); one
			// dimension only: src,dst pairs are not judged.
			name, dir := arg(), arg()
			if dir != "src" && dir != "dst" {
				unknownMatch("--match-set")
				continue
			}
			field := map[string]string{"src": "saddr", "dst": "daddr"}[dir]
			match(map[string]any{"payload": map[string]any{"protocol": family, "field": field}}, "@"+name)
		case "--comment", "--reject-with", "--log-prefix", "--log-level":
			arg()
		case "--dport", "--destination-port", "--dports", "--destination-ports":
			ports := legacyPorts(arg())
			p := proto
			if p == "" {
				p = "th"
			}
			match(map[string]any{"payload": map[string]any{"protocol": p, "field": "dport"}}, ports)
		case "--state", "--ctstate":
			states := strings.Split(strings.ToLower(arg()), ",")
			list := make([]any, len(states))
			for k, s := range states {
				list[k] = s
			}
			right := any(map[string]any{"set": list})
			match(map[string]any{"ct": map[string]any{"key": "state"}}, right)
		case "-j", "--jump", "-g", "--goto":
			target := arg()
			switch {
			case w == "-g" || w == "--goto":
				verdict = map[string]any{"goto": map[string]any{"target": target}}
			case target == "ACCEPT" || target == "DROP" || target == "RETURN":
				verdict = map[string]any{strings.ToLower(target): nil}
			case target == "REJECT":
				verdict = map[string]any{"reject": nil}
			case target == "LOG":
				exprs = append(exprs, map[string]any{"log": nil})
			case target == "MARK" || target == "CONNMARK":
				exprs = append(exprs, map[string]any{"mangle": nil})
				i = len(words) // its options are of no interest
			case isUpper(target):
				verdict = map[string]any{"xt": map[string]any{"type": "target", "name": target}}
				i = len(words)
			default:
				verdict = map[string]any{"jump": map[string]any{"target": target}}
			}
		default:
			unknownMatch(w)
			if i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") {
				i++
			}
		}
	}
	if verdict != nil {
		exprs = append(exprs, verdict)
	}
	return exprs
}

func isUpper(s string) bool { return s == strings.ToUpper(s) }

// legacyAddr reads "10.0.0.0/8", "203.0.113.7/32" or a bare address.
func legacyAddr(s string) (any, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.IsSingleIP() {
			return p.Addr().String(), true
		}
		return map[string]any{"prefix": map[string]any{"addr": p.Masked().Addr().String(), "len": float64(p.Bits())}}, true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String(), true
	}
	return nil, false
}

// legacyPorts reads "993", "1000:2000" or multiport's "143,993,1000:2000".
func legacyPorts(s string) any {
	var elems []any
	for _, part := range strings.Split(s, ",") {
		if lo, hi, ok := strings.Cut(part, ":"); ok {
			elems = append(elems, map[string]any{"range": []any{lo, hi}})
			continue
		}
		elems = append(elems, part)
	}
	if len(elems) == 1 {
		return elems[0]
	}
	return map[string]any{"set": elems}
}
