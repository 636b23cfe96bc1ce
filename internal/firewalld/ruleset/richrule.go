package ruleset

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// RuleAddr is a rich rule's source or destination: exactly one of an
// address (or CIDR), a MAC or an ipset, possibly inverted ("NOT").
type RuleAddr struct {
	Kind   string // "address", "mac", "ipset"
	Value  string
	Invert bool
	prefix netip.Prefix // Value parsed, for Kind address
	ok     bool         // Value parsed as an address or CIDR
}

// String is rich.py's Rich_Source/Rich_Destination.__str__ minus the
// element word.
func (a RuleAddr) String() string {
	not := ""
	if a.Invert {
		not = " NOT"
	}
	return fmt.Sprintf("%s %s=\"%s\"", not, a.Kind, a.Value)
}

// RichRule is a firewalld rich rule in full (firewall/core/rich.py,
// Rich_Rule): priority, family, source, destination, one element, log,
// audit and an action with its limit.
type RichRule struct {
	Text        string // firewalld's canonical spelling (Rich_Rule.__str__)
	Priority    int
	Family      string // "", "ipv4", "ipv6"
	Source      *RuleAddr
	Destination *RuleAddr
	// Element is the rule's one element: service, port, protocol,
	// forward-port, source-port, icmp-block, icmp-type, masquerade,
	// tcp-mss-clamp, or "" (the rule matches every packet of its
	// source/destination/family).
	Element  string
	Service  string // service name=…
	Port     Port   // port, source-port and forward-port: port=… protocol=…
	Protocol string // protocol value=…
	ToPort   string // forward-port to-port=…
	ToAddr   string // forward-port to-addr=…
	ElemText string // the element as firewalld prints it
	LogText  string // "log prefix=… level=… limit value=…", "nflog …" or ""
	Audit    string // "audit …" or ""
	Action   string // accept, reject, drop, mark, "" (log/audit or nat only)
	ActText  string // the action as firewalld prints it, with type/set/limit
	Limit    string // the action's limit, normalised ("2/m"); "" = none
}

// LooksLikeBan reports whether the rule is the kind Fail2ban's
// firewallcmd-rich-rules actions add at runtime: a reject or drop for one
// source. Those live in runtime only by design and are not drift.
func (r RichRule) LooksLikeBan() bool {
	return (r.Action == "reject" || r.Action == "drop") && r.Source != nil && !r.Source.Invert
}

// String renders the rule as Rich_Rule.__str__ does: attribute values in
// double quotes with nothing escaped (a log prefix holding a quote is
// printed as is), the priority as an integer, limits shortened.
func (r RichRule) String() string {
	parts := []string{"rule"}
	if r.Priority != 0 {
		parts = append(parts, fmt.Sprintf("priority=\"%d\"", r.Priority))
	}
	if r.Family != "" {
		parts = append(parts, fmt.Sprintf("family=\"%s\"", r.Family))
	}
	if r.Source != nil {
		parts = append(parts, "source"+r.Source.String())
	}
	if r.Destination != nil {
		parts = append(parts, "destination"+r.Destination.String())
	}
	for _, s := range []string{r.ElemText, r.LogText, r.Audit, r.ActText} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// ParseRichRule parses the rich-rule language as firewall-cmd and D-Bus
// print it (Rich_Rule._import_from_string), e.g.
// `rule family="ipv4" source address="192.0.2.0/24" service name="imap" accept`.
// Text keeps the given spelling: firewalld's own strings are canonical.
func ParseRichRule(text string) (RichRule, error) {
	tokens, err := splitRuleTokens(text)
	if err != nil {
		return RichRule{}, fmt.Errorf("rich rule %q: %v", text, err)
	}
	if len(tokens) == 0 || tokens[0].word != "rule" {
		return RichRule{}, fmt.Errorf("rich rule %q: does not start with \"rule\"", text)
	}
	b := ruleBuilder{}
	for _, t := range tokens[1:] {
		if t.word != "" {
			b.element(t.word)
			continue
		}
		if err := b.attr(t.key, t.value); err != nil {
			return RichRule{}, fmt.Errorf("rich rule %q: %v", text, err)
		}
	}
	r := b.finish()
	r.Text = strings.TrimSpace(text)
	return r, nil
}

// ruleBuilder collects a rule element by element, from text tokens or
// from firewalld's own strings (the permanent view reads its kept rules
// back from their string form, see vZone.model).
type ruleBuilder struct {
	r       RichRule
	current string // element that owns the following attributes
	invert  bool   // NOT seen before the source/destination attributes
	attrs   map[string][]string
	order   []string
}

func (b *ruleBuilder) element(word string) {
	if word == "NOT" || word == "not" { // "source NOT address=…"
		b.invert = true
		return
	}
	b.flush()
	b.current = word
	b.attrs = map[string][]string{}
	b.order = nil
}

func (b *ruleBuilder) attr(key, value string) error {
	if b.current == "" {
		switch key {
		case "priority":
			p, err := strconv.Atoi(value)
			if err != nil {
				return fmt.Errorf("priority must be a number, not %q", value)
			}
			b.r.Priority = p
		case "family":
			b.r.Family = value
		}
		return nil
	}
	if key == "invert" {
		b.invert = strings.EqualFold(value, "yes") || strings.EqualFold(value, "true")
		return nil
	}
	if b.attrs == nil {
		b.attrs = map[string][]string{}
	}
	if _, ok := b.attrs[key]; !ok {
		b.order = append(b.order, key)
	}
	b.attrs[key] = append(b.attrs[key], value)
	return nil
}

func (b *ruleBuilder) get(key string) string {
	if v := b.attrs[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// flush turns the element collected so far into rule fields, in
// rich.py's spelling (Rich_*.__str__).
func (b *ruleBuilder) flush() {
	el := b.current
	if el == "" {
		return
	}
	r := &b.r
	q := func(keys ...string) string { // ` key="v"` for present keys
		var s string
		for _, k := range keys {
			if v := b.get(k); v != "" {
				s += fmt.Sprintf(" %s=\"%s\"", k, v)
			}
		}
		return s
	}
	switch el {
	case "source", "destination":
		a := &RuleAddr{Invert: b.invert}
		for _, k := range []string{"address", "mac", "ipset"} {
			if v := b.get(k); v != "" {
				a.Kind, a.Value = k, v
				break
			}
		}
		if a.Kind == "mac" {
			a.Value = strings.ToUpper(a.Value)
		}
		if a.Kind == "address" {
			a.prefix, a.ok = ParsePrefix(a.Value)
		}
		if el == "source" {
			r.Source = a
		} else {
			r.Destination = a
		}
		b.invert = false
	case "service", "icmp-block", "icmp-type":
		r.Element, r.Service = el, b.get("name")
		r.ElemText = fmt.Sprintf("%s name=\"%s\"", el, b.get("name"))
	case "port", "source-port":
		r.Element, r.Port = el, Port{Port: b.get("port"), Protocol: b.get("protocol")}
		r.ElemText = fmt.Sprintf("%s port=\"%s\" protocol=\"%s\"", el, r.Port.Port, r.Port.Protocol)
	case "protocol":
		r.Element, r.Protocol = el, b.get("value")
		r.ElemText = fmt.Sprintf("protocol value=\"%s\"", r.Protocol)
	case "masquerade":
		r.Element, r.ElemText = el, el
	case "tcp-mss-clamp":
		r.Element, r.ElemText = el, el+q("value")
	case "forward-port":
		r.Element, r.Port = el, Port{Port: b.get("port"), Protocol: b.get("protocol")}
		r.ToPort, r.ToAddr = b.get("to-port"), b.get("to-addr")
		r.ElemText = fmt.Sprintf("forward-port port=\"%s\" protocol=\"%s\"", r.Port.Port, r.Port.Protocol) + q("to-port", "to-addr")
	case "log":
		r.LogText = "log" + q("prefix", "level")
	case "nflog":
		r.LogText = "nflog" + q("group", "prefix", "queue-size")
	case "audit":
		r.Audit = "audit"
	case "accept", "drop":
		r.Action, r.ActText = el, el
	case "reject":
		r.Action, r.ActText = el, el+q("type")
	case "mark":
		r.Action, r.ActText = el, "mark set="+b.get("set")
	case "limit":
		// A limit belongs to the element before it (log, audit or action).
		lim := " limit value=\"" + normLimit(b.get("value")) + "\""
		switch {
		case r.ActText != "":
			r.ActText += lim
			r.Limit = normLimit(b.get("value"))
		case r.Audit != "":
			r.Audit += lim
		case r.LogText != "":
			r.LogText += lim
		}
	}
	b.current = ""
}

func (b *ruleBuilder) finish() RichRule {
	b.flush()
	r := b.r
	r.Text = r.String()
	return r
}

// normLimit shortens the unit as Rich_Limit.__init__ does: "2/minute" is
// "2/m".
func normLimit(v string) string {
	if rate, unit, ok := strings.Cut(v, "/"); ok {
		switch unit {
		case "second", "minute", "hour", "day":
			return rate + "/" + unit[:1]
		}
	}
	return v
}

type ruleToken struct {
	word       string // a bare element word, or "" for key=value
	key, value string
}

// splitRuleTokens splits on spaces outside quotes; key="value" and key=value
// become attribute tokens with the quotes removed. firewalld prints values
// unescaped, so a quote inside a value (a log prefix `it"s`) ends the value
// only when a space or the end of the text follows it.
func splitRuleTokens(text string) ([]ruleToken, error) {
	if !utf8.ValidString(text) {
		text = string([]rune(text)) // each invalid byte becomes U+FFFD
	}
	// Quotes, spaces and tabs are ASCII, which no byte of a multi-byte
	// UTF-8 sequence is: the text is walked byte by byte (a busy host's
	// thousands of Fail2ban rules are each split once per check).
	tokens := make([]ruleToken, 0, 8)
	cur := make([]byte, 0, len(text))
	var quote byte
	flush := func() {
		if len(cur) == 0 {
			return
		}
		s := string(cur)
		cur = cur[:0]
		if k, v, ok := strings.Cut(s, "="); ok {
			tokens = append(tokens, ruleToken{key: k, value: v})
		} else {
			tokens = append(tokens, ruleToken{word: s})
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote != 0 && c == quote && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\t'):
			quote = 0
		case quote != 0:
			cur = append(cur, c)
		case c == '"' || c == '\'':
			quote = c
		case c == ' ' || c == '\t':
			flush()
		default:
			cur = append(cur, c)
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	flush()
	return tokens, nil
}
