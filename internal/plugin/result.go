package plugin

import (
	"fmt"
	"strings"
)

// Finding is one judged fact: one line of long output. Fix, when set, is the
// exact command or edit an operator runs to clear it.
type Finding struct {
	State State
	Text  string
	Fix   string
}

// Metric is one perfdata value. Warn and Crit are Nagios range strings as the
// user gave them (empty when the value is not judged). Min and Max are empty when
// unbounded.
type Metric struct {
	Label string
	Value float64
	UOM   string // "", "s", "d", "B", "%", "c"
	Warn  string
	Crit  string
	Min   string
	Max   string
	// Unmeasured prints the value as "U": the guidelines' way to keep a
	// label whose value could not be determined in this run.
	Unmeasured bool
}

// Result is what a check's evaluate stage returns. Its state is the worst of
// its findings; a Result with no findings is UNKNOWN, because nothing was
// verified and this suite never says OK about something it did not check.
type Result struct {
	Summary  string    // first line, without the "STATE: " prefix
	Findings []Finding // one line each in the long output, worst first
	Details  []string  // context always shown after the findings (chain, versions)
	Debug    []string  // shown only with -v
	Metrics  []Metric
}

// State is the worst state among the findings, UNKNOWN when there are none.
func (r Result) State() State {
	if len(r.Findings) == 0 {
		return Unknown
	}
	s := OK
	for _, f := range r.Findings {
		s = Worst(s, f.State)
	}
	return s
}

// Add appends a finding.
func (r *Result) Add(state State, text, fix string) {
	r.Findings = append(r.Findings, Finding{State: state, Text: text, Fix: fix})
}

// AddLeading appends a finding added after the summary was written. When
// it decides the result's state (no other finding is worse), its text
// leads the summary: an UNKNOWN found late must not print as
// "UNKNOWN: all … open".
func (r *Result) AddLeading(state State, text, fix string) {
	r.Add(state, text, fix)
	if r.State() != state {
		return
	}
	if r.Summary == "" {
		r.Summary = text
		return
	}
	r.Summary = text + "; " + r.Summary
}

// Addf appends a finding without a fix, formatted.
func (r *Result) Addf(state State, format string, args ...any) {
	r.Add(state, fmt.Sprintf(format, args...), "")
}

// Detailf appends a context line.
func (r *Result) Detailf(format string, args ...any) {
	r.Details = append(r.Details, fmt.Sprintf(format, args...))
}

// Debugf appends a line shown only with -v.
func (r *Result) Debugf(format string, args ...any) {
	r.Debug = append(r.Debug, fmt.Sprintf(format, args...))
}

// Metric appends a perfdata value.
func (r *Result) Metric(m Metric) { r.Metrics = append(r.Metrics, m) }

// Count appends an integer perfdata value with min 0.
func (r *Result) Count(label string, n int, warn, crit string) {
	r.Metric(Metric{Label: label, Value: float64(n), Warn: warn, Crit: crit, Min: "0"})
}

// UnknownResult is the Result for a check that could not gather its facts.
// The message says what failed and why; fix says how to get access, if known.
func UnknownResult(err error, fix string) Result {
	var r Result
	r.Summary = err.Error()
	r.Add(Unknown, err.Error(), fix)
	return r
}

// Join lists words as "a, b and c", for summaries.
func Join(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
