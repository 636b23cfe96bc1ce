package netfilter

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Legacy x_tables hook priorities (linux/netfilter_ipv4.h).
var legacyPriority = map[string]int{"raw": -300, "mangle": -150, "nat": -100, "filter": 0, "security": 50}

// ParseIptablesSave reads `iptables-legacy-save` (family "ip") or
// `ip6tables-legacy-save` ("ip6") output into tables whose rules use the
// nftables expression vocabulary, so that one judge walks both. Options it
// does not translate make the rule's match undecided (never ignored).
func ParseIptablesSave(data []byte, family string) ([]*Table, error) {
	var tables []*Table
	var t *Table
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	rules := 0
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line == "COMMIT":
		case line[0] == '*':
			t = &Table{Family: family, Name: line[1:], Origin: "iptables-legacy", Chains: map[string]*Chain{}, Sets: map[string]*Set{}}
			tables = append(tables, t)
		case line[0] == ':' && t != nil:
			f := strings.Fields(line[1:])
			if len(f) < 2 {
				return nil, fmt.Errorf("%s-legacy-save line %d: bad chain line", family, n)
			}
			ch := chainOf(t, f[0])
			if f[1] != "-" {
				ch.Policy = strings.ToLower(f[1])
				ch.Hook, ch.Type, ch.Priority = legacyHook(t.Name, f[0])
			}
		case strings.HasPrefix(line, "-A ") && t != nil:
			if rules++; rules > MaxRules {
				return nil, fmt.Errorf("%w: over %d legacy rules", ErrTooLarge, MaxRules)
			}
			words, err := splitWords(line)
			if err != nil || len(words) < 2 {
				return nil, fmt.Errorf("%s-legacy-save line %d: %v", family, n, err)
			}
			ch := chainOf(t, words[1])
			ch.Rules = append(ch.Rules, Rule{Handle: len(ch.Rules) + 1, Exprs: translateRule(words[2:], family), Text: line})
		default:
			return nil, fmt.Errorf("%s-legacy-save line %d not understood: %.80s", family, n, line)
		}
	}
	return tables, sc.Err()
}

// legacyHook maps a built-in chain to its hook: only the inbound ones
// matter to the judge (others get no hook and are never walked).
func legacyHook(table, chain string) (hook, typ string, prio int) {
	typ = "filter"
	if table == "nat" {
		typ = "nat"
	}
	switch chain {
	case "PREROUTING":
		hook = "prerouting"
	case "INPUT":
		hook = "input"
		if table == "nat" {
			prio = 100
			return
		}
	default:
		return "", "", 0
	}
	return hook, typ, legacyPriority[table]
}

// splitWords splits an iptables-save line, honouring its double quotes.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inQuote, inWord := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && inQuote && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '"':
			inQuote, inWord = !inQuote, true
		case c == ' ' && !inQuote:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unbalanced quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
