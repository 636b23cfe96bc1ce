package expat

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// parseConfigXML is Parse with the error naming path, as a reader reports it.
func parseConfigXML(path string, data []byte) (*etree.Element, error) {
	root, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return root, nil
}

// MaxFileBytes bounds a config file read (Parse refuses a larger one);
// firewalld's largest stock file is a few KiB.
const MaxFileBytes = 4 << 20

// maxExpandedXML bounds a document after entity expansion, so that memory
// stays bounded: expat, which charges entity expansion as
// xmlread_amplify.go does, would go on to 100 times a large document.
const maxExpandedXML = 8 << 20

// maxXMLDepth is far past any config file; expat itself has no limit.
const maxXMLDepth = 1 << 16

// Parse parses one firewalld config file the way firewalld reads it:
// with Python's xml.sax on expat (zone_reader and its siblings in
// firewall/core/io/*.py: sax.make_parser(), no namespace processing, no
// external entities). So, as expat does, it accepts comments, processing
// instructions and whitespace before and after the root element, a BOM,
// UTF-16, the encodings the XML declaration may name (expat's own UTF-8,
// UTF-16, ISO-8859-1 and US-ASCII, and Python's single-byte codecs, of which
// latin-1 aliases, windows-1252 and ISO-8859-15 are read here), internal
// entities and attribute defaults declared in the DOCTYPE's internal subset;
// and it rejects what expat rejects: malformed markup, a second root, text
// after the root, a misplaced XML declaration, a duplicate attribute.
//
// Element and attribute names keep their prefix ("a:service" stays one tag,
// as sax without namespaces reports it), so a reader that switches on the
// tag sees what firewalld sees. The error says why in one line; the caller
// names the file.
func Parse(data []byte) (*etree.Element, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("larger than %d bytes", MaxFileBytes)
	}
	text, err := decodeXMLText(data)
	if err != nil {
		return nil, err
	}
	body, dtd, err := splitDoctype(text, float64(len(data))/float64(max(len(text), 1)))
	if err != nil {
		return nil, fmt.Errorf("malformed XML: %v", err)
	}
	if dtd != nil {
		if body, err = dtd.expand(body); err != nil {
			return nil, fmt.Errorf("malformed XML: %v", err)
		}
	}
	end, err := checkWellFormed(body)
	if err != nil {
		return nil, fmt.Errorf("malformed XML: %v", err)
	}
	doc := etree.NewDocument()
	doc.ReadSettings.ValidateInput = true
	doc.ReadSettings.MaxDepth = maxXMLDepth
	// checkWellFormed has read the whole document; what follows the root is
	// only comments, PIs and whitespace, which etree's validator (v1.8.1)
	// would count as trailing garbage.
	if err := doc.ReadFromString(body[:end]); err != nil {
		return nil, fmt.Errorf("malformed XML: %v", err)
	}
	root := doc.Root()
	if root == nil {
		return nil, errors.New("malformed XML: no element found")
	}
	normalizeNames(root, dtd)
	return root, nil
}

// checkWellFormed walks every token as expat would judge it and returns the
// offset just past the root element's end tag.
func checkWellFormed(body string) (int, error) {
	dec := xml.NewDecoder(strings.NewReader(body))
	dec.Strict = true
	var stack []string
	rootEnd := -1
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		line, _ := dec.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			if rootEnd >= 0 {
				return 0, fmt.Errorf("line %d: junk after document element (a second root <%s>)", line, fullName(t.Name))
			}
			if len(stack) >= maxXMLDepth {
				return 0, fmt.Errorf("line %d: elements nested deeper than %d", line, maxXMLDepth)
			}
			seen := map[string]bool{}
			for _, a := range t.Attr {
				if seen[fullName(a.Name)] {
					return 0, fmt.Errorf("line %d: duplicate attribute %s", line, fullName(a.Name))
				}
				seen[fullName(a.Name)] = true
			}
			stack = append(stack, fullName(t.Name))
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != fullName(t.Name) {
				return 0, fmt.Errorf("line %d: mismatched tag </%s>", line, fullName(t.Name))
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				rootEnd = int(dec.InputOffset())
			}
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimLeft(t, " \t\r\n")) > 0 {
				if rootEnd >= 0 {
					return 0, fmt.Errorf("line %d: junk after document element (text %q)", line, xmlClip(string(t)))
				}
				return 0, fmt.Errorf("line %d: text %q before the root element", line, xmlClip(string(t)))
			}
		case xml.ProcInst:
			// splitDoctype removed the real declaration; any other <?xml
			// is misplaced. expat refuses every case spelling of it.
			if strings.EqualFold(t.Target, "xml") {
				return 0, fmt.Errorf("line %d: XML declaration not at start of file", line)
			}
		case xml.Directive:
			return 0, fmt.Errorf("line %d: <!%s> out of place", line, xmlClip(string(t)))
		}
	}
	if len(stack) > 0 {
		return 0, fmt.Errorf("unclosed element <%s> at end of file", stack[len(stack)-1])
	}
	if rootEnd < 0 {
		return 0, errors.New("no element found")
	}
	return rootEnd, nil
}

func fullName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func xmlClip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// normalizeNames folds prefixes into names (sax without namespaces sees
// "a:service", not "service") and adds the attribute defaults the DTD
// declares (expat reports them as if written).
func normalizeNames(e *etree.Element, dtd *doctype) {
	if e.Space != "" {
		e.Tag, e.Space = e.Space+":"+e.Tag, ""
	}
	for i := range e.Attr {
		if a := &e.Attr[i]; a.Space != "" {
			a.Key, a.Space = a.Space+":"+a.Key, ""
		}
	}
	if dtd != nil {
		for _, d := range dtd.defaults[e.Tag] {
			if e.SelectAttr(d.name) == nil {
				e.CreateAttr(d.name, d.value)
			}
		}
	}
	for _, c := range e.ChildElements() {
		normalizeNames(c, dtd)
	}
}

// decodeXMLText turns the file's bytes into UTF-8 text without its BOM and
// XML declaration, as expat decides the encoding: a BOM or UTF-16's "<?"
// pattern first, then the declaration's encoding, else UTF-8.
func decodeXMLText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return decodeDecl(data[3:], "UTF-8", true)
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
		return decodeUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data[2:], true)
	case bytes.HasPrefix(data, []byte{'<', 0, '?', 0}) || bytes.HasPrefix(data, []byte{'<', 0}) && len(data) > 2 && data[2] != 0:
		return decodeUTF16(data, false)
	case bytes.HasPrefix(data, []byte{0, '<', 0, '?'}):
		return decodeUTF16(data, true)
	}
	return decodeDecl(data, "", false)
}

// decodeDecl reads an ASCII-compatible file: the declaration (if any) names
// the encoding, fixed is the one a UTF-8 BOM already chose.
func decodeDecl(data []byte, fixed string, bom bool) (string, error) {
	declared, rest, err := splitXMLDecl(string(data))
	if err != nil {
		return "", err
	}
	if bom {
		// expat lets the BOM win over any declared encoding but UTF-16.
		if k, _ := encodingKind(declared); k == encUTF16 {
			return "", errors.New("malformed XML: encoding specified in XML declaration is incorrect (the file starts with a UTF-8 BOM)")
		}
		declared = fixed
	}
	kind, err := encodingKind(declared)
	if err != nil {
		return "", err
	}
	if kind == encUTF16 {
		return "", fmt.Errorf("malformed XML: encoding specified in XML declaration is incorrect (%q, but the file is not UTF-16)", declared)
	}
	return decodeSingleByte(rest, kind)
}

func decodeUTF16(data []byte, bigEndian bool) (string, error) {
	if len(data)%2 != 0 {
		return "", errors.New("malformed XML: UTF-16 file with an odd number of bytes")
	}
	var b strings.Builder
	for i := 0; i < len(data); i += 2 {
		u := rune(data[i]) | rune(data[i+1])<<8
		if bigEndian {
			u = rune(data[i])<<8 | rune(data[i+1])
		}
		if u >= 0xD800 && u < 0xDC00 && i+3 < len(data) {
			lo := rune(data[i+2]) | rune(data[i+3])<<8
			if bigEndian {
				lo = rune(data[i+2])<<8 | rune(data[i+3])
			}
			if lo >= 0xDC00 && lo < 0xE000 {
				b.WriteRune(0x10000 + (u-0xD800)<<10 + (lo - 0xDC00))
				i += 2
				continue
			}
		}
		if u >= 0xD800 && u < 0xE000 {
			return "", fmt.Errorf("malformed XML: invalid UTF-16 surrogate at byte %d", i)
		}
		b.WriteRune(u)
	}
	declared, rest, err := splitXMLDecl(b.String())
	if err != nil {
		return "", err
	}
	if kind, _ := encodingKind(declared); declared != "" && kind != encUTF16 {
		return "", fmt.Errorf("malformed XML: encoding specified in XML declaration is incorrect (%q in a UTF-16 file)", declared)
	}
	return rest, nil
}

// splitXMLDecl parses the XML declaration at the very start of text, as
// expat does (version required; encoding and standalone optional, in that
// order), and returns the declared encoding and the text after it. The
// declaration is replaced by its newlines so that error lines stay right.
func splitXMLDecl(text string) (encoding, rest string, err error) {
	if !strings.HasPrefix(text, "<?xml") || len(text) < 6 || !strings.ContainsRune(" \t\r\n", rune(text[5])) {
		return "", text, nil
	}
	end := strings.Index(text, "?>")
	if end < 0 {
		return "", "", errors.New("malformed XML: unterminated XML declaration")
	}
	decl := text[5:end]
	bad := errors.New("malformed XML: XML declaration not well-formed: <?xml" + xmlClip(decl) + "?>")
	var keys []string
	for decl = strings.TrimLeft(decl, " \t\r\n"); decl != ""; decl = strings.TrimLeft(decl, " \t\r\n") {
		key, value, ok := strings.Cut(decl, "=")
		key = strings.TrimRight(key, " \t\r\n")
		value = strings.TrimLeft(value, " \t\r\n")
		if !ok || value == "" || (value[0] != '"' && value[0] != '\'') {
			return "", "", bad
		}
		close := strings.IndexByte(value[1:], value[0])
		if close < 0 {
			return "", "", bad
		}
		v := value[1 : 1+close]
		decl = value[2+close:]
		if decl != "" && !strings.ContainsRune(" \t\r\n", rune(decl[0])) {
			return "", "", bad
		}
		switch {
		case key == "version" && len(keys) == 0 && v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") == "":
		case key == "encoding" && (len(keys) == 1 && keys[0] == "version") && v != "":
			encoding = v
		case key == "standalone" && (v == "yes" || v == "no") && len(keys) >= 1 && keys[0] == "version":
		default:
			return "", "", bad
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return "", "", bad
	}
	return encoding, strings.Repeat("\n", strings.Count(text[:end], "\n")) + text[end+2:], nil
}

// utf8Valid reports the line of the first invalid byte, or 0.
func utf8Valid(s string) int {
	if utf8.ValidString(s) {
		return 0
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return 1 + strings.Count(s[:i], "\n")
			}
		}
	}
	return 1
}
