package plugin

import (
	"math"
	"sort"
	"strconv"
	"strings"

	nagios "github.com/atc0005/go-nagios"
)

// FixIndent starts the line that carries a finding's fix, under the finding.
const FixIndent = "    "

// render fills go-nagios' fields from a Result. Every string passes through
// Sanitize: server-supplied text (greetings, jail names, XML) must never break
// the first line or the perfdata.
func render(p *nagios.Plugin, r Result, verbose int) {
	state := r.State()
	p.ExitStatusCode = int(state)

	summary := Sanitize(r.Summary)
	if summary == "" {
		summary = "no summary"
	}
	p.ServiceOutput = state.String() + ": " + summary

	var long []string
	findings := append([]Finding(nil), r.Findings...)
	// Worst first, so the line an operator needs is the first they read;
	// stable, so evaluate's order holds within a state.
	sort.SliceStable(findings, func(i, j int) bool {
		return findings[i].State.severity() > findings[j].State.severity()
	})
	for _, f := range findings {
		fix := f.Fix
		if f.State == OK {
			fix = "" // nothing to fix (e.g. a finding demoted by --unlisted=ok)
		}
		if fix == "" && f.Text == r.Summary && len(findings) == 1 {
			continue // a lone finding that only repeats the first line
		}
		long = append(long, "["+f.State.String()+"] "+Sanitize(f.Text))
		if fix != "" {
			// On its own indented line: Icinga Web and mail wrap the long
			// output, and a fix at the end of a 500-character line is lost.
			long = append(long, FixIndent+"Fix: "+Sanitize(fix))
		}
	}
	for _, d := range r.Details {
		long = append(long, Sanitize(d))
	}
	if verbose > 0 {
		for _, d := range r.Debug {
			long = append(long, "debug: "+Sanitize(d))
		}
	}
	p.LongServiceOutput = strings.Join(long, "\n")

	perf := make([]nagios.PerformanceData, 0, len(r.Metrics))
	for _, m := range r.Metrics {
		value, uom := formatNumber(m.Value), m.UOM
		if m.Unmeasured {
			value, uom = "U", "" // "U" alone: the guidelines give it no unit
		}
		perf = append(perf, nagios.PerformanceData{
			Label:             sanitizeLabel(m.Label),
			Value:             value,
			UnitOfMeasurement: uom,
			Warn:              m.Warn,
			Crit:              m.Crit,
			Min:               m.Min,
			Max:               m.Max,
		})
	}
	if len(perf) > 0 {
		// Validation is ours (labels sanitised, numbers C-locale); go-nagios'
		// validator rejects a few valid range forms such as "~:10".
		_ = p.AddPerfData(true, perf...)
	}
}

// formatNumber prints a value in the C locale, without exponent, rounded to
// microseconds (for times) and trimmed.
func formatNumber(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}
