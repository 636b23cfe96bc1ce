package fail2ban

import (
	"strings"
	"testing"
)

// lastMatches holds the bound whatever a (remote, untrusted) script
// printed: the last maxCauseLines lines, each at most maxCauseLine bytes.
func TestLastMatchesBounds(t *testing.T) {
	var in []string
	for i := 0; i < 40; i++ {
		in = append(in, strings.Repeat(string(rune('a'+i%26)), 1000))
	}
	got := lastMatches(in)
	if len(got) != maxCauseLines {
		t.Fatalf("%d lines, want %d", len(got), maxCauseLines)
	}
	if got[len(got)-1][0] != in[39][0] {
		t.Errorf("not the last lines: %q", got[len(got)-1][:3])
	}
	for _, l := range got {
		if len(l) != maxCauseLine {
			t.Errorf("line of %d bytes, want %d", len(l), maxCauseLine)
		}
	}
	if got := lastMatches([]string{"short"}); len(got) != 1 || got[0] != "short" {
		t.Errorf("short input changed: %q", got)
	}
}
