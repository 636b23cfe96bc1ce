package plugin

import (
	"bytes"
	"strings"
	"testing"
)

// TestPerfLabelsInEveryState: the labels of Info.PerfLabels are printed
// whatever the state, "U" (no unit) where the result has no value: after a
// bad argument, after the watchdog, and beside measured values.
func TestPerfLabelsInEveryState(t *testing.T) {
	labelled := Info{Name: "check_fake", PerfLabels: []string{"a_time", "b_count"}}
	measured := okResult()
	measured.Metric(Metric{Label: "a_time", Value: 0.5, UOM: "s", Min: "0"})
	cases := []struct {
		name string
		cli  *fakeCLI
		args []string
		want []string
	}{
		{"bad argument", &fakeCLI{}, []string{"--no-such-flag"}, []string{"'a_time'=U;;;; ", "'b_count'=U;;;; "}},
		{"watchdog", &fakeCLI{result: okResult(), sleep: 2e9}, []string{"-H", "x", "-t", "200ms"}, []string{"'a_time'=U;;;; ", "'b_count'=U;;;; "}},
		{"one measured", &fakeCLI{result: measured}, []string{"-H", "x"}, []string{"'a_time'=0.5s;;;0; ", "'b_count'=U;;;; "}},
	}
	for _, c := range cases {
		var out bytes.Buffer
		Run(labelled, c.cli, c.args, &out)
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q: %q", c.name, w, out.String())
			}
		}
	}
}
