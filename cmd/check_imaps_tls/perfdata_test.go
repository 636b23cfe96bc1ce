package main

import (
	"math"
	"slices"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// perfLabels is the perfdata every run prints, whatever the state: graphers
// that keep one file per label (RRD) need the same set each time.
var perfLabels = []string{"connect_time", "days_left", "greeting_time", "time", "tls_time", "total_time"}

// icingaPerf parses the output as Icinga 2 does and checks the label set.
func icingaPerf(t *testing.T, out string) map[string]sandbox.IcingaPerf {
	t.Helper()
	got := map[string]sandbox.IcingaPerf{}
	var labels []string
	for _, p := range sandbox.IcingaPerfdata(out) {
		got[p.Label] = p
		labels = append(labels, p.Label)
	}
	slices.Sort(labels)
	if !slices.Equal(labels, perfLabels) {
		t.Errorf("perfdata labels %v, want %v in every state", labels, perfLabels)
	}
	return got
}

// wantDaysLeft asserts days_left as Icinga 2 stores it: a plain number of
// days in [lo, hi] (not turned into seconds), with warn and crit numbers
// within 0.01 of the given days (not dropped as ranges).
func wantDaysLeft(t *testing.T, out string, lo, hi, warn, crit float64) {
	t.Helper()
	d := icingaPerf(t, out)["days_left"]
	if d.Err != nil || d.Unit != "" || d.Value < lo || d.Value > hi {
		t.Errorf("days_left as Icinga 2 reads it: %+v, want a unitless number of days in [%v, %v]", d, lo, hi)
	}
	near := func(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) <= 0.011 }
	if !near(d.Warn, warn) || !near(d.Crit, crit) {
		t.Errorf("days_left thresholds as Icinga 2 reads them: warn %v crit %v, want %v and %v (%s)", ptr(d.Warn), ptr(d.Crit), warn, crit, d.Raw)
	}
}

func ptr(p *float64) any {
	if p == nil {
		return "dropped"
	}
	return *p
}
