package sandbox

import "testing"

// TestIcingaPerfdata pins the parser to what Icinga 2 does with the cases
// issue 16 describes: "d" is a time unit (days become seconds), a range
// threshold is dropped, "U" is kept as text only.
func TestIcingaPerfdata(t *testing.T) {
	out := "OK: fine\nlong line\nmore | 'days_left'=39d;30:;14: 'connect_time'=0.5s;;;0; days=39.5;30;14;; 'x y'=U;;;0; time=21ms;;;; n=3c\n"
	got := IcingaPerfdata(out)
	if len(got) != 6 {
		t.Fatalf("%d values: %+v", len(got), got)
	}
	d := got[0]
	if d.Label != "days_left" || d.Value != 39*86400 || d.Unit != "seconds" || d.Warn != nil || d.Crit != nil {
		t.Errorf("days_left: %+v", d)
	}
	if c := got[1]; c.Value != 0.5 || c.Unit != "seconds" || c.Min == nil || *c.Min != 0 {
		t.Errorf("connect_time: %+v", c)
	}
	if p := got[2]; p.Value != 39.5 || p.Unit != "" || p.Warn == nil || *p.Warn != 30 || p.Crit == nil || *p.Crit != 14 {
		t.Errorf("days: %+v", p)
	}
	if u := got[3]; u.Label != "x y" || u.Err == nil {
		t.Errorf("U: %+v", u)
	}
	if tm := got[4]; tm.Value != 0.021 || tm.Unit != "seconds" {
		t.Errorf("time: %+v", tm)
	}
	if n := got[5]; !n.Counter || n.Value != 3 {
		t.Errorf("counter: %+v", n)
	}
}
