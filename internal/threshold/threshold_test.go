package threshold

import (
	"math"
	"testing"
)

func TestAlert(t *testing.T) {
	cases := []struct {
		rng   string
		value float64
		alert bool
	}{
		{"10", -1, true}, {"10", 0, false}, {"10", 10, false}, {"10", 10.1, true},
		{"10:", 9.9, true}, {"10:", 10, false}, {"10:", 1e9, false},
		{"~:10", -1e9, false}, {"~:10", 10, false}, {"~:10", 11, true},
		{"10:20", 9, true}, {"10:20", 10, false}, {"10:20", 20, false}, {"10:20", 21, true},
		{"@10:20", 9, false}, {"@10:20", 10, true}, {"@10:20", 20, true}, {"@10:20", 21, false},
		{"@~:10", -5, true}, {"@~:10", 10, true}, {"@~:10", 10.5, false},
		{"-5:-1", -3, false}, {"-5:-1", 0, true},
		{"@0", 0, true}, {"@0", 1, false},
		{"", 1e9, false},
	}
	for _, c := range cases {
		r, err := Parse(c.rng)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.rng, err)
		}
		if got := r.Alert(c.value); got != c.alert {
			t.Errorf("%q.Alert(%v) = %v, want %v", c.rng, c.value, got, c.alert)
		}
	}
}

func TestParseBounds(t *testing.T) {
	r := MustParse("@~:10")
	if !r.Inside || !math.IsInf(r.Start, -1) || r.End != 10 {
		t.Fatalf("@~:10 parsed as %+v", r)
	}
	if r.String() != "@~:10" {
		t.Fatalf("String() = %q", r.String())
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{"abc", "10:5", "1:x", "@", ":", "NaN", "inf", "~"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
