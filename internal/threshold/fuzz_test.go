package threshold

import (
	"math"
	"testing"
)

// FuzzParse: every input ends in a Range or an error; an accepted range is
// ordered, reparses to the same bounds, and judges NaN-free values
// consistently with its own definition.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"10", "10:", "~:10", "10:20", "@10:20", "@~:10", "-5:-1", "@0", "", " 5 ", "1e3:2e3", ":5", "~:", "@", "5:1", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := Parse(text)
		if err != nil {
			return
		}
		if !r.IsSet() {
			if r.Alert(0) || r.Alert(math.Inf(1)) {
				t.Fatalf("unset range %q alerts", text)
			}
			return
		}
		if math.IsNaN(r.Start) || math.IsNaN(r.End) || r.Start > r.End {
			t.Fatalf("%q parsed to disordered bounds %v:%v", text, r.Start, r.End)
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("%q: its own String %q does not reparse: %v", text, r.String(), err)
		}
		if again.Start != r.Start || again.End != r.End || again.Inside != r.Inside {
			t.Fatalf("%q: reparse of %q changed the range", text, r.String())
		}
		for _, v := range []float64{r.Start, r.End, r.Start - 1, r.End + 1} {
			if math.IsInf(v, 0) {
				continue
			}
			inside := v >= r.Start && v <= r.End
			if r.Alert(v) != (inside == r.Inside) {
				t.Fatalf("%q.Alert(%v) = %v, inside=%v", text, v, r.Alert(v), inside)
			}
		}
	})
}
