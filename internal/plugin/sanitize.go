package plugin

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLineRunes caps a single output line. A server can hand us an endless
// greeting; the monitoring core truncates long output anyway (Nagios at 8 KiB),
// so we keep every line readable and let perfdata survive.
const maxLineRunes = 400

// Sanitize makes text safe for one line of plugin output: "|" would start
// perfdata, so it becomes "¦"; newlines, the Unicode line and paragraph
// separators (U+2028, U+2029) and other control characters become spaces;
// format characters (category Cf: bidi overrides such as U+202E, zero-width
// characters) are dropped, since a server could use them to make Icinga Web
// show text in another order than it was sent; invalid UTF-8 is replaced;
// the line is capped at maxLineRunes.
func Sanitize(s string) string {
	s = strings.ToValidUTF8(s, "?")
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	for _, r := range s {
		if n == maxLineRunes {
			b.WriteString("…")
			break
		}
		switch {
		case unicode.Is(unicode.Cf, r):
			continue
		case r == '|':
			r = '¦'
		case unicode.IsControl(r) || r == utf8.RuneError || unicode.In(r, unicode.Zl, unicode.Zp):
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// sanitizeLabel keeps a perfdata label inside its quotes: a quote or "="
// would end it early.
func sanitizeLabel(s string) string {
	s = Sanitize(s)
	return strings.NewReplacer("'", "_", "=", "_", "¦", "_").Replace(s)
}
