package expat

import (
	"fmt"
	"strings"
)

type encKind int

const (
	encUTF8 encKind = iota
	encUTF16
	encLatin1
	encASCII // also Python's utf-8 aliases: see encodingKind
	encCP1252
	encLatin9
)

// encodingKind maps a declared encoding to how expat under Python decodes
// it. expat knows UTF-8, UTF-16(BE|LE), ISO-8859-1 and US-ASCII itself (names
// compared case-insensitively); any other name goes to pyexpat's
// PyUnknownEncodingHandler, which decodes the 256 single bytes with the
// Python codec and marks every byte that decodes to U+FFFD invalid. For a
// Python alias of UTF-8 ("utf8") that leaves ASCII only: expat then refuses
// any non-ASCII byte, so such a file is read as US-ASCII here too.
func encodingKind(name string) (encKind, error) {
	switch strings.ToUpper(name) {
	case "", "UTF-8":
		return encUTF8, nil
	case "UTF-16", "UTF-16BE", "UTF-16LE":
		return encUTF16, nil
	case "ISO-8859-1":
		return encLatin1, nil
	case "US-ASCII":
		return encASCII, nil
	}
	// Python's encodings.normalize_encoding, then its alias table.
	norm := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(name))
	switch norm {
	case "latin_1", "latin1", "l1", "iso8859_1", "iso_8859_1", "8859", "cp819", "ibm819",
		"iso_ir_100", "csisolatin1", "iso_8859_1:1987", "latin":
		return encLatin1, nil
	case "ascii", "us_ascii", "646", "us", "cp367", "ibm367", "iso646_us", "csascii",
		"ansi_x3.4_1968", "ansi_x3_4_1968", "ansi_x3.4_1986", "iso_ir_6",
		"utf8", "utf", "utf_8", "u8", "utf8_ucs2", "utf8_ucs4", "cp65001":
		return encASCII, nil
	case "cp1252", "windows_1252", "1252":
		return encCP1252, nil
	case "iso8859_15", "iso_8859_15", "latin9", "l9":
		return encLatin9, nil
	}
	return 0, fmt.Errorf("encoding %q: this check reads UTF-8, UTF-16, ISO-8859-1, ISO-8859-15, windows-1252 and US-ASCII only (firewalld reads other single-byte encodings Python knows, none with more than one byte a character); convert the file with iconv -t UTF-8", name)
}

// cp1252High is windows-1252's 0x80-0x9F; 0 marks the five bytes Python's
// codec leaves undefined.
var cp1252High = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// latin9Diff is where ISO-8859-15 differs from ISO-8859-1.
var latin9Diff = map[byte]rune{0xA4: 0x20AC, 0xA6: 0x0160, 0xA8: 0x0161, 0xB4: 0x017D, 0xB8: 0x017E, 0xBC: 0x0152, 0xBD: 0x0153, 0xBE: 0x0178}

// decodeSingleByte converts ASCII-compatible text to UTF-8; a byte the
// encoding does not define is expat's "not well-formed (invalid token)".
func decodeSingleByte(s string, kind encKind) (string, error) {
	invalid := func(i int) error {
		return fmt.Errorf("malformed XML: line %d: not well-formed (byte 0x%02X is invalid in this encoding)", 1+strings.Count(s[:i], "\n"), s[i])
	}
	switch kind {
	case encUTF8:
		if line := utf8Valid(s); line > 0 {
			return "", fmt.Errorf("malformed XML: line %d: not well-formed (invalid UTF-8; declare the file's encoding or convert it with iconv -t UTF-8)", line)
		}
		return s, nil
	case encASCII:
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return "", invalid(i)
			}
		}
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		r := rune(c)
		switch {
		case c < 0x80:
		case kind == encCP1252 && c < 0xA0:
			if r = cp1252High[c-0x80]; r == 0 {
				return "", invalid(i)
			}
		case kind == encLatin9:
			if d, ok := latin9Diff[c]; ok {
				r = d
			}
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}
