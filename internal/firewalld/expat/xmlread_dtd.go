package expat

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// doctype is what expat takes from a DOCTYPE's internal subset without
// reading anything external: general and parameter entities, attribute
// defaults. ELEMENT and NOTATION declarations are read past.
type doctype struct {
	entities map[string]entity
	params   map[string]entity
	defaults map[string][]attrDefault
	// external: an external subset exists, so expat (not standalone)
	// skips a reference to an undeclared entity instead of failing.
	external bool
	// amp is expat's billion-laughs accounting of this document
	// (xmlread_amplify.go).
	amp amplification
	// bodyShift is what a position in the body (the text with the DOCTYPE
	// blanked) lags behind the same place in the text.
	bodyShift int
}

var errExpansion = errors.New("entity expansion larger than 8 MiB")

type entity struct {
	value    string
	external bool // SYSTEM/PUBLIC: Python's sax does not load it, a reference in content reads as nothing
}

type attrDefault struct{ name, value string }

var errRecursiveEntity = errors.New("recursive entity reference")

// splitDoctype finds a DOCTYPE in the prolog (before the root element) and
// returns the text with the DOCTYPE blanked (its newlines kept) and the
// declarations it holds. A DOCTYPE anywhere else is left for
// checkWellFormed to refuse.
//
// rawPerText is the file's bytes per byte of text (2 for UTF-16 ASCII),
// for expat's accounting, which counts the bytes it was given.
func splitDoctype(text string, rawPerText float64) (string, *doctype, error) {
	i := 0
	for i < len(text) {
		switch {
		case strings.ContainsRune(" \t\r\n", rune(text[i])):
			i++
			continue
		case strings.HasPrefix(text[i:], "<!--"):
			j := strings.Index(text[i+4:], "-->")
			if j < 0 {
				return text, nil, nil
			}
			i += 4 + j + 3
			continue
		case strings.HasPrefix(text[i:], "<?"):
			j := strings.Index(text[i:], "?>")
			if j < 0 {
				return text, nil, nil
			}
			i += j + 2
			continue
		case strings.HasPrefix(text[i:], "<!DOCTYPE"):
			d := &doctype{entities: map[string]entity{}, params: map[string]entity{}, defaults: map[string][]attrDefault{},
				amp: amplification{rawPerText: rawPerText}}
			p := &dtdScanner{s: text, i: i + len("<!DOCTYPE"), d: d}
			if err := p.doctype(); err != nil {
				return "", nil, fmt.Errorf("line %d: DOCTYPE: %v", 1+strings.Count(text[:p.i], "\n"), err)
			}
			blank := strings.Repeat("\n", strings.Count(text[i:p.i], "\n"))
			d.bodyShift = p.i - i - len(blank)
			return text[:i] + blank + text[p.i:], d, nil
		}
		break
	}
	return text, nil, nil
}

type dtdScanner struct {
	s     string
	i     int
	d     *doctype
	depth int // parameter-entity nesting
}

func (p *dtdScanner) space() bool {
	start := p.i
	for p.i < len(p.s) && strings.ContainsRune(" \t\r\n", rune(p.s[p.i])) {
		p.i++
	}
	return p.i > start
}

func (p *dtdScanner) name() (string, error) {
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(" \t\r\n<>\"'[]()|,%;=/?&#*+", rune(p.s[p.i])) {
		p.i++
	}
	if p.i == start {
		return "", fmt.Errorf("name expected at %q", xmlClip(p.s[p.i:]))
	}
	return p.s[start:p.i], nil
}

func (p *dtdScanner) literal() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\'') {
		return "", fmt.Errorf("quoted literal expected at %q", xmlClip(p.s[p.i:]))
	}
	end := strings.IndexByte(p.s[p.i+1:], p.s[p.i])
	if end < 0 {
		return "", errors.New("unterminated literal")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *dtdScanner) keyword(k string) bool {
	if strings.HasPrefix(p.s[p.i:], k) {
		p.i += len(k)
		return true
	}
	return false
}

// externalID reads SYSTEM "x" or PUBLIC "p" "x", reporting whether one was there.
func (p *dtdScanner) externalID() (bool, error) {
	switch {
	case p.keyword("SYSTEM"):
		p.space()
		_, err := p.literal()
		return true, err
	case p.keyword("PUBLIC"):
		p.space()
		if _, err := p.literal(); err != nil {
			return true, err
		}
		p.space()
		_, err := p.literal()
		return true, err
	}
	return false, nil
}

func (p *dtdScanner) doctype() error {
	if !p.space() {
		return errors.New("space expected after <!DOCTYPE")
	}
	if _, err := p.name(); err != nil {
		return err
	}
	p.space()
	ext, err := p.externalID()
	if err != nil {
		return err
	}
	p.d.external = ext
	p.space()
	if p.keyword("[") {
		if err := p.subset(); err != nil {
			return err
		}
		if !p.keyword("]") {
			return errors.New("']' expected at the end of the internal subset")
		}
		p.space()
	}
	if !p.keyword(">") {
		return fmt.Errorf("'>' expected at %q", xmlClip(p.s[p.i:]))
	}
	return nil
}

// subset reads declarations until ']' (or the end of a parameter entity).
func (p *dtdScanner) subset() error {
	for {
		p.space()
		rest := p.s[p.i:]
		switch {
		case rest == "" || rest[0] == ']':
			return nil
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				return errors.New("unterminated comment")
			}
			p.i += 4 + end + 3
		case strings.HasPrefix(rest, "<?"):
			end := strings.Index(rest, "?>")
			if end < 0 {
				return errors.New("unterminated processing instruction")
			}
			p.i += end + 2
		case rest[0] == '%':
			p.i++
			name, err := p.name()
			if err != nil || !p.keyword(";") {
				return errors.New("malformed parameter-entity reference")
			}
			pe, ok := p.d.params[name]
			if !ok || pe.external {
				// expat reads on past an unread external PE; an undeclared one is an error
				if !ok && !p.d.external {
					return fmt.Errorf("undefined parameter entity %%%s;", name)
				}
				p.d.external = true
				continue
			}
			if p.depth > 20 {
				return errRecursiveEntity
			}
			if p.depth == 0 {
				p.d.amp.readTo(p.i)
			}
			if err := p.d.amp.expand(len(pe.value)); err != nil {
				return err
			}
			sub := &dtdScanner{s: pe.value, d: p.d, depth: p.depth + 1}
			if err := sub.subset(); err != nil {
				return err
			}
			if sub.i != len(sub.s) {
				return fmt.Errorf("parameter entity %%%s; is not a sequence of declarations", name)
			}
		case p.keyword("<!ENTITY"):
			if err := p.entityDecl(); err != nil {
				return err
			}
		case p.keyword("<!ATTLIST"):
			if err := p.attlistDecl(); err != nil {
				return err
			}
		case p.keyword("<!ELEMENT"), p.keyword("<!NOTATION"):
			if err := p.skipDecl(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected %q in the internal subset", xmlClip(rest))
		}
	}
}

func (p *dtdScanner) skipDecl() error {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '>':
			p.i++
			return nil
		case '"', '\'':
			if _, err := p.literal(); err != nil {
				return err
			}
		default:
			p.i++
		}
	}
	return errors.New("unterminated declaration")
}

func (p *dtdScanner) entityDecl() error {
	p.space()
	table := p.d.entities
	if p.keyword("%") {
		table = p.d.params
		p.space()
	}
	name, err := p.name()
	if err != nil {
		return err
	}
	p.space()
	var e entity
	if e.external, err = p.externalID(); err != nil {
		return err
	}
	if e.external {
		p.space()
		if p.keyword("NDATA") {
			p.space()
			if _, err := p.name(); err != nil {
				return err
			}
		}
	} else {
		lit, err := p.literal()
		if err != nil {
			return err
		}
		if e.value, err = entityLiteral(lit); err != nil {
			return fmt.Errorf("entity %s: %v", name, err)
		}
	}
	p.space()
	if !p.keyword(">") {
		return fmt.Errorf("'>' expected after entity %s", name)
	}
	if _, dup := table[name]; !dup { // XML: the first declaration binds
		table[name] = e
	}
	return nil
}

// entityLiteral is the replacement text of an entity value: character
// references are replaced now, entity references are kept for use time.
func entityLiteral(lit string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(lit); i++ {
		switch lit[i] {
		case '%':
			return "", errors.New("parameter-entity reference inside a declaration in the internal subset")
		case '&':
			ref, n := entityRef(lit[i:])
			if n == 1 {
				return "", errors.New("'&' without a well-formed reference")
			}
			end := n - 1
			if strings.HasPrefix(ref, "#") {
				r, err := charRef(ref)
				if err != nil {
					return "", err
				}
				b.WriteRune(r)
			} else {
				b.WriteString(lit[i : i+end+1])
			}
			i += end
		default:
			b.WriteByte(lit[i])
		}
	}
	return b.String(), nil
}

// charRef decodes "#123" or "#x7B" to a character XML allows.
func charRef(ref string) (rune, error) {
	var n uint64
	var err error
	if strings.HasPrefix(ref, "#x") {
		n, err = strconv.ParseUint(ref[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(ref[1:], 10, 32)
	}
	r := rune(n)
	ok := r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
	if err != nil || !ok {
		return 0, fmt.Errorf("reference to invalid character number &%s;", ref)
	}
	return r, nil
}
