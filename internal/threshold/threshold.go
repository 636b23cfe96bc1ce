// Package threshold parses and evaluates Nagios threshold ranges, as defined
// in the Monitoring Plugins development guidelines:
//
//	10      alert if value < 0 or > 10
//	10:     alert if value < 10
//	~:10    alert if value > 10
//	10:20   alert if value < 10 or > 20
//	@10:20  alert if 10 <= value <= 20 (inside, inclusive)
//
// It exists because go-nagios v0.20.0 mis-parses "@~:10".
package threshold

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Range is one parsed threshold. The zero value is "not set" and never alerts.
type Range struct {
	Start, End float64 // -Inf / +Inf when open
	Inside     bool    // "@": alert when the value is inside the range
	text       string
	set        bool
}

// Parse reads a Nagios range. An empty string yields an unset Range.
func Parse(text string) (Range, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Range{}, nil
	}
	r := Range{text: text, set: true, Start: 0, End: math.Inf(1)}
	body := text
	if strings.HasPrefix(body, "@") {
		r.Inside = true
		body = body[1:]
	}
	start, end, hasColon := strings.Cut(body, ":")
	if !hasColon {
		end, start = start, "0"
	}
	var err error
	switch start {
	case "~":
		r.Start = math.Inf(-1)
	case "":
		return Range{}, fmt.Errorf("threshold %q: missing start (write ~:N for no lower bound)", text)
	default:
		if r.Start, err = parseNumber(start); err != nil {
			return Range{}, fmt.Errorf("threshold %q: %w", text, err)
		}
	}
	if end != "" {
		if r.End, err = parseNumber(end); err != nil {
			return Range{}, fmt.Errorf("threshold %q: %w", text, err)
		}
	} else if !hasColon {
		return Range{}, fmt.Errorf("threshold %q: empty", text)
	}
	if r.Start > r.End {
		return Range{}, fmt.Errorf("threshold %q: start %v is above end %v", text, r.Start, r.End)
	}
	return r, nil
}

func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

// MustParse is Parse for constants in code and tests.
func MustParse(text string) Range {
	r, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return r
}

// Alert reports whether value breaches the range.
func (r Range) Alert(value float64) bool {
	if !r.set {
		return false
	}
	inside := value >= r.Start && value <= r.End
	if r.Inside {
		return inside
	}
	return !inside
}

// IsSet reports whether a range was given.
func (r Range) IsSet() bool { return r.set }

// String returns the range as the user wrote it, for perfdata and messages.
func (r Range) String() string { return r.text }

// UnmarshalText lets kong decode a Range straight from a flag.
func (r *Range) UnmarshalText(b []byte) error {
	parsed, err := Parse(string(b))
	if err != nil {
		return err
	}
	*r = parsed
	return nil
}
