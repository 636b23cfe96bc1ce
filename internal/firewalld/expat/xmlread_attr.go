package expat

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// attlistDecl reads <!ATTLIST elem (name type default)*>: expat reports
// a declared default as if the element carried the attribute.
func (p *dtdScanner) attlistDecl() error {
	p.space()
	elem, err := p.name()
	if err != nil {
		return err
	}
	for {
		p.space()
		if p.keyword(">") {
			return nil
		}
		attr, err := p.name()
		if err != nil {
			return err
		}
		p.space()
		cdata := p.keyword("CDATA")
		switch {
		case cdata:
		case p.keyword("NOTATION"), p.i < len(p.s) && p.s[p.i] == '(':
			p.space()
			end := strings.IndexByte(p.s[p.i:], ')')
			if end < 0 {
				return errors.New("unterminated enumeration")
			}
			p.i += end + 1
		default:
			if _, err := p.name(); err != nil { // ID, NMTOKEN, …
				return err
			}
		}
		p.space()
		if p.keyword("#REQUIRED") || p.keyword("#IMPLIED") {
			continue
		}
		if p.keyword("#FIXED") {
			p.space()
		}
		lit, err := p.literal()
		if err != nil {
			return err
		}
		if p.depth == 0 {
			p.d.amp.readTo(p.i)
		}
		value, err := p.d.attrText(lit, nil)
		if err != nil {
			return fmt.Errorf("default of %s %s: %v", elem, attr, err)
		}
		if !cdata { // tokenized types: expat trims and collapses spaces
			value = strings.Join(strings.Fields(value), " ")
		}
		if !p.d.hasDefault(elem, attr) {
			p.d.defaults[elem] = append(p.d.defaults[elem], attrDefault{attr, value})
		}
	}
}

func (d *doctype) hasDefault(elem, attr string) bool {
	for _, a := range d.defaults[elem] {
		if a.name == attr {
			return true
		}
	}
	return false
}

// attrText is an attribute value's text with every reference replaced, as
// XML's attribute-value normalisation does: whitespace characters become
// spaces, a '<' (even from an entity) is an error, as is an external entity.
func (d *doctype) attrText(s string, active []string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '<':
			return "", errors.New("'<' in an attribute value")
		case '\t', '\n', '\r':
			b.WriteByte(' ')
		case '&':
			ref, n := entityRef(s[i:])
			if n == 1 {
				return "", errors.New("'&' without a well-formed reference")
			}
			end := n - 1
			i += end
			if strings.HasPrefix(ref, "#") {
				r, err := charRef(ref)
				if err != nil {
					return "", err
				}
				b.WriteRune(r)
				continue
			}
			if r, ok := predefinedEntities[ref]; ok {
				b.WriteString(r)
				continue
			}
			e, ok := d.entities[ref]
			switch {
			case !ok && d.external:
				continue
			case !ok:
				return "", fmt.Errorf("undefined entity &%s;", ref)
			case e.external:
				return "", fmt.Errorf("reference to external entity &%s; in attribute", ref)
			case xmlContains(active, ref) || len(active) > 40:
				return "", errRecursiveEntity
			}
			if err := d.amp.expand(len(e.value)); err != nil {
				return "", err
			}
			v, err := d.attrText(e.value, append(active, ref))
			if err != nil {
				return "", err
			}
			b.WriteString(v)
		default:
			b.WriteByte(c)
		}
		if b.Len() > maxExpandedXML {
			return "", errExpansion
		}
	}
	return b.String(), nil
}

var predefinedEntities = map[string]string{"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": "\""}

func xmlContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// wellFormedFragment checks that an entity's expansion is balanced markup
// (expat: "asynchronous entity" otherwise).
func wellFormedFragment(s string) error {
	dec := xml.NewDecoder(strings.NewReader("<r>" + s + "</r>"))
	dec.Strict = true
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF && depth == 0 {
			return nil
		}
		if err != nil {
			return errors.New("asynchronous entity (its markup is not balanced)")
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
}
