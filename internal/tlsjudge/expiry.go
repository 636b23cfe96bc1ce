package tlsjudge

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/threshold"
)

// Expiry is a time-left threshold (-w, -c), in one of these forms:
//
//	30      days ("30d" too)
//	36h     hours
//	25%     a share of the certificate's lifetime (notBefore to notAfter)
//	10:     a Nagios range on whole days left, as written (":", "~", "@")
//
// The zero value is the default of -w or -c (see DefaultWarning): a share of
// the lifetime, at most a number of days. Certificates of every lifetime
// then alert only when a renewal was missed: ACME clients renew with a third
// of the lifetime left (certbot, lego; ARI-driven renewals too), so a
// 6-day certificate renews with 2 days left, a 90-day one with 30.
type Expiry struct {
	Share float64       // of the lifetime, 0..1; 0: not used
	Max   time.Duration // a fixed bound, or the cap on Share; 0: not used
	Range threshold.Range
	text  string
}

// The defaults: WARNING below 20% of the lifetime (at most 30 days),
// CRITICAL below 10% (at most 14 days). 30 and 14 days are what the check
// alerted at before, for the one-year certificates that were usual then.
var (
	DefaultWarning  = Expiry{Share: 0.20, Max: 30 * day, text: "20% of the lifetime, at most 30 days"}
	DefaultCritical = Expiry{Share: 0.10, Max: 14 * day, text: "10% of the lifetime, at most 14 days"}
)

const day = 24 * time.Hour

// ParseExpiry reads a threshold in any of the forms above.
func ParseExpiry(text string) (Expiry, error) {
	text = strings.TrimSpace(text)
	e := Expiry{text: text}
	number := func(s string) (float64, error) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return 0, fmt.Errorf("threshold %q: want days (30), hours (36h), a share of the lifetime (25%%) or a Nagios range (30:)", text)
		}
		return f, nil
	}
	switch {
	case text == "":
		return Expiry{}, fmt.Errorf("empty threshold: want days (30), hours (36h) or a share of the lifetime (25%%)")
	case strings.ContainsAny(text, ":~@"):
		r, err := threshold.Parse(text)
		e.Range = r
		return e, err
	case strings.HasSuffix(text, "%"):
		f, err := number(strings.TrimSuffix(text, "%"))
		if err == nil && f > 100 {
			err = fmt.Errorf("threshold %q: a share of the lifetime is at most 100%%", text)
		}
		e.Share = f / 100
		return e, err
	case strings.HasSuffix(text, "h"):
		f, err := number(strings.TrimSuffix(text, "h"))
		e.Max = time.Duration(f * float64(time.Hour))
		return e, err
	default:
		f, err := number(strings.TrimSuffix(text, "d"))
		e.Max = time.Duration(f * float64(day))
		return e, err
	}
}

// UnmarshalText lets kong decode the flag.
func (e *Expiry) UnmarshalText(b []byte) error {
	p, err := ParseExpiry(string(b))
	if err != nil {
		return err
	}
	*e = p
	return nil
}

// String is the threshold as given, or the default's description.
func (e Expiry) String() string { return e.text }

func (e Expiry) isZero() bool { return e.text == "" }

// bound is the time left below which a certificate of this lifetime
// alerts; ok is false for a Nagios range, which has no single bound.
func (e Expiry) bound(lifetime time.Duration) (time.Duration, bool) {
	if e.Range.IsSet() {
		return 0, false
	}
	b := e.Max
	if e.Share > 0 {
		share := time.Duration(e.Share * float64(lifetime))
		if b == 0 || share < b {
			b = share
		}
	}
	return b, true
}

// Alert reports whether a certificate with left of lifetime remaining
// breaches the threshold.
func (e Expiry) Alert(left, lifetime time.Duration) bool {
	if e.Range.IsSet() {
		return e.Range.Alert(math.Floor(left.Hours() / 24))
	}
	b, _ := e.bound(lifetime)
	return left < b
}

// perfBound is the threshold for perfdata in days: a plain number when the
// threshold is a bound, the range as written otherwise.
func (e Expiry) perfBound(lifetime time.Duration) string {
	if b, ok := e.bound(lifetime); ok {
		return formatDays(b)
	}
	return e.Range.String()
}

// formatDays prints a duration in days, two decimals, no unit.
func formatDays(d time.Duration) string {
	return strconv.FormatFloat(math.Round(d.Hours()/24*100)/100, 'f', -1, 64)
}

// lifetimeName is "6-day", "90-day", "36-hour": a certificate's validity.
func lifetimeName(lifetime time.Duration) string {
	if lifetime < 2*day {
		return fmt.Sprintf("%d-hour", int(math.Round(lifetime.Hours())))
	}
	return fmt.Sprintf("%d-day", int(math.Round(lifetime.Hours()/24)))
}

// humanLeft is "2 days 20 hours", "45 days", "10 hours", "25 minutes".
func humanLeft(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	days, hours := int(d/day), int(d%day/time.Hour)
	switch {
	case days >= 10:
		return plural(days, "day")
	case days >= 1 && hours > 0:
		return plural(days, "day") + " " + plural(hours, "hour")
	case days >= 1:
		return plural(days, "day")
	case hours >= 1:
		return plural(hours, "hour")
	}
	return plural(int(d/time.Minute), "minute")
}
