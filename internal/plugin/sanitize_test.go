package plugin

import "testing"

func TestSanitize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"* OK ready", "* OK ready"},
		{"a|b", "a¦b"},
		{"line\r\nbreak", "line  break"},
		{"bidi \u202egnp.exe\u202c end", "bidi gnp.exe end"}, // RIGHT-TO-LEFT OVERRIDE, POP
		{"zero\u200bwidth\ufeff", "zerowidth"},
		{"sep\u2028line\u2029para", "sep line para"},
		{"bad \xff utf8", "bad ? utf8"},
		{"\x00\x1b[31mred", "[31mred"},
	} {
		if got := Sanitize(c.in); got != c.want {
			t.Errorf("Sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
