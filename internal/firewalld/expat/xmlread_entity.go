package expat

import (
	"fmt"
	"strings"
)

// expand replaces the references to the DTD's entities in the document body,
// so that encoding/xml (which knows no DTD) parses what expat would have
// produced: an internal entity's text is markup in content (expat parses it)
// and plain text in an attribute value; an external one reads as nothing in
// content (Python's sax leaves feature_external_ges off) and is an error in
// an attribute. Character references and the five predefined entities are
// left for encoding/xml, as is an undeclared entity when expat would fail
// on it too.
func (d *doctype) expand(body string) (string, error) {
	if len(d.entities) == 0 && !d.external {
		return body, nil
	}
	var b strings.Builder
	if err := d.expandContent(&b, body, nil); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (d *doctype) expandContent(b *strings.Builder, s string, active []string) error {
	offset := d.bodyShift // s is the body when active is empty
	for i := 0; i < len(s); {
		if b.Len() > maxExpandedXML {
			return errExpansion
		}
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			i += copyThrough(b, rest, "-->", 4)
		case strings.HasPrefix(rest, "<![CDATA["):
			i += copyThrough(b, rest, "]]>", 9)
		case strings.HasPrefix(rest, "<?"):
			i += copyThrough(b, rest, "?>", 2)
		case rest[0] == '<':
			if len(active) == 0 { // expat reads the whole tag before its attributes
				d.amp.readTo(offset + i + tagLength(rest))
			}
			n, err := d.expandTag(b, rest, active)
			if err != nil {
				return err
			}
			i += n
		case rest[0] == '&':
			ref, n := entityRef(rest)
			i += n
			if ref == "" || ref[0] == '#' || predefinedEntities[ref] != "" {
				b.WriteString(rest[:n])
				continue
			}
			e, ok := d.entities[ref]
			switch {
			case !ok && d.external, ok && e.external:
				continue // skipped, as expat does
			case !ok:
				b.WriteString(rest[:n]) // encoding/xml refuses it, as expat does
				continue
			case xmlContains(active, ref) || len(active) > 40:
				return fmt.Errorf("%w &%s;", errRecursiveEntity, ref)
			}
			if len(active) == 0 {
				d.amp.readTo(offset + i)
			}
			if err := d.amp.expand(len(e.value)); err != nil {
				return err
			}
			if !strings.Contains(e.value, "<") && !strings.Contains(e.value, "&") {
				b.WriteString(e.value)
				continue
			}
			var sub strings.Builder
			if err := d.expandContent(&sub, e.value, append(active, ref)); err != nil {
				return err
			}
			if strings.Contains(sub.String(), "<") {
				if err := wellFormedFragment(sub.String()); err != nil {
					return fmt.Errorf("entity &%s;: %v", ref, err)
				}
			}
			if b.Len()+sub.Len() > maxExpandedXML {
				return errExpansion
			}
			b.WriteString(sub.String())
		default:
			j := strings.IndexAny(rest, "<&")
			if j < 0 {
				j = len(rest)
			}
			b.WriteString(rest[:j])
			i += j
		}
	}
	return nil
}

// copyThrough copies rest up to and including end (searched after skip
// bytes), or all of rest when end is missing (encoding/xml then reports it).
func copyThrough(b *strings.Builder, rest, end string, skip int) int {
	j := strings.Index(rest[skip:], end)
	if j < 0 {
		b.WriteString(rest)
		return len(rest)
	}
	n := skip + j + len(end)
	b.WriteString(rest[:n])
	return n
}

// entityRef returns the name in "&name;" at the start of s and the bytes it
// spans; "" and 1 when s does not start with a well-formed reference.
func entityRef(s string) (string, int) {
	end := strings.IndexByte(s[:min(len(s), 258)], ';')
	if end < 2 || end > 256 || strings.ContainsAny(s[1:end], " \t\r\n<&\"'") {
		return "", 1
	}
	return s[1:end], end + 1
}

// expandTag copies one tag (start, end or <!…>), replacing entity
// references in its quoted attribute values with their escaped text.
func (d *doctype) expandTag(b *strings.Builder, s string, active []string) (int, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '>':
			b.WriteString(s[:i+1])
			return i + 1, nil
		case '"', '\'':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				b.WriteString(s)
				return len(s), nil
			}
			value := s[i+1 : i+1+end]
			if strings.Contains(value, "&") {
				b.WriteString(s[:i+1])
				if err := d.expandAttr(b, value, active); err != nil {
					return 0, err
				}
				b.WriteByte(c)
				s = s[i+1+end+1:]
				n, err := d.expandTag(b, s, active)
				return i + 1 + end + 1 + n, err
			}
			i += end + 1
		}
	}
	b.WriteString(s)
	return len(s), nil
}

func (d *doctype) expandAttr(b *strings.Builder, value string, active []string) error {
	for i := 0; i < len(value); {
		j := strings.IndexByte(value[i:], '&')
		if j < 0 {
			b.WriteString(value[i:])
			return nil
		}
		b.WriteString(value[i : i+j])
		i += j
		ref, n := entityRef(value[i:])
		e, ok := d.entities[ref]
		switch {
		case ref == "" || ref[0] == '#' || predefinedEntities[ref] != "" || !ok && !d.external:
			b.WriteString(value[i : i+n])
		case !ok:
			// undeclared with an external subset: skipped
		case e.external:
			return fmt.Errorf("reference to external entity &%s; in attribute", ref)
		default:
			text, err := d.attrText("&"+ref+";", active)
			if err != nil {
				return fmt.Errorf("attribute value: %v", err)
			}
			b.WriteString(attrEscaper.Replace(text))
		}
		i += n
	}
	return nil
}

var attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;", "'", "&apos;")

// tagLength is the length of the tag at the start of s, through its '>'
// (quoted attribute values may hold '>'); all of s when it has none.
func tagLength(s string) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1
		}
	}
	return len(s)
}
