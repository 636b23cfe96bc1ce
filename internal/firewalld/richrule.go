package firewalld

import (
	"fmt"
	"strings"
)

// RichRule is a firewalld rich rule reduced to what decides reachability,
// plus its canonical text (firewalld's own spelling) for drift comparison.
type RichRule struct {
	Text        string
	Family      string // "", "ipv4", "ipv6"
	Source      string // address, mac or ipset; "" when any source
	SourceNot   bool
	Destination string
	Service     string // element "service name=…"
	Port        *Port  // element "port port=… protocol=…"
	Action      string // accept, reject, drop, mark, "" (log/audit only)
}

// Accepts reports whether the rule accepts traffic from every source.
func (r RichRule) acceptsEveryone() bool {
	return r.Action == "accept" && r.Source == "" && r.Destination == ""
}

// looksLikeBan reports whether the rule is the kind Fail2ban's
// firewallcmd-rich-rules actions add at runtime: a reject or drop for one
// source. Those live in runtime only by design and are not drift.
func (r RichRule) looksLikeBan() bool {
	return (r.Action == "reject" || r.Action == "drop") && r.Source != "" && !r.SourceNot
}

// ParseRichRule parses the rich-rule language as firewall-cmd prints it, e.g.
// `rule family="ipv4" source address="192.0.2.0/24" service name="imap" accept`.
// Only the attributes that matter for reachability are interpreted; the text
// is kept in firewalld's canonical form for comparison.
func ParseRichRule(text string) (RichRule, error) {
	tokens, err := splitRuleTokens(text)
	if err != nil {
		return RichRule{}, fmt.Errorf("rich rule %q: %v", text, err)
	}
	r := RichRule{Text: strings.TrimSpace(text)}
	if len(tokens) == 0 || tokens[0].word != "rule" {
		return RichRule{}, fmt.Errorf("rich rule %q: does not start with \"rule\"", text)
	}
	element := "rule" // the most recent element word, owner of attributes
	for _, t := range tokens[1:] {
		if t.word != "" {
			if t.word == "NOT" { // firewalld writes "source NOT address=…"
				r.SourceNot = r.SourceNot || element == "source"
				continue
			}
			switch t.word {
			case "accept", "reject", "drop", "mark":
				r.Action = t.word
			}
			element = t.word
			continue
		}
		switch element + "." + t.key {
		case "rule.family":
			r.Family = t.value
		case "source.address", "source.mac", "source.ipset":
			r.Source = t.value
		case "destination.address", "destination.ipset":
			r.Destination = t.value
		case "service.name":
			r.Service = t.value
		case "port.port":
			if r.Port == nil {
				r.Port = &Port{}
			}
			r.Port.Port = t.value
		case "port.protocol":
			if r.Port == nil {
				r.Port = &Port{}
			}
			r.Port.Protocol = t.value
		}
	}
	return r, nil
}

type ruleToken struct {
	word       string // a bare element word, or "" for key=value
	key, value string
}

// splitRuleTokens splits on spaces outside quotes; key="value" and key=value
// become attribute tokens with the quotes removed.
func splitRuleTokens(text string) ([]ruleToken, error) {
	var tokens []ruleToken
	var cur strings.Builder
	var quote rune
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		s := cur.String()
		cur.Reset()
		if k, v, ok := strings.Cut(s, "="); ok {
			tokens = append(tokens, ruleToken{key: k, value: v})
		} else {
			tokens = append(tokens, ruleToken{word: s})
		}
	}
	for _, c := range text {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote = c
		case c == ' ' || c == '\t':
			flush()
		default:
			cur.WriteRune(c)
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	flush()
	return tokens, nil
}
