package tlsjudge

import (
	"testing"
	"time"
)

// TestDefaultThresholdsFollowTheLifetime is the promise of the defaults: a
// certificate renewed on schedule (ACME clients renew with a third of the
// lifetime left, some later) never alerts, a missed renewal always alerts
// before the certificate runs out.
func TestDefaultThresholdsFollowTheLifetime(t *testing.T) {
	cases := []struct {
		lifetime, left time.Duration
		want           string // OK, WARNING or CRITICAL
	}{
		{6 * day, 3 * day, "OK"},
		{6 * day, 2 * day, "OK"}, // certbot's renewal point
		{6 * day, 10 * time.Hour, "CRITICAL"},
		{6 * day, 20 * time.Hour, "WARNING"},
		{45 * day, 16 * day, "OK"},
		{45 * day, 4 * day, "CRITICAL"},
		{45 * day, 8 * day, "WARNING"},
		{90 * day, 25 * day, "OK"},
		{90 * day, 30 * day, "OK"},
		{90 * day, 8 * day, "CRITICAL"},
		{90 * day, 15 * day, "WARNING"},
		{200 * day, 45 * day, "OK"},
		{397 * day, 10 * day, "CRITICAL"},
		{397 * day, 20 * day, "WARNING"},
		{397 * day, 60 * day, "OK"},
		{10 * 365 * day, 100 * day, "OK"}, // a CA
		{10 * 365 * day, 29 * day, "WARNING"},
	}
	for _, c := range cases {
		got := "OK"
		switch {
		case DefaultCritical.Alert(c.left, c.lifetime):
			got = "CRITICAL"
		case DefaultWarning.Alert(c.left, c.lifetime):
			got = "WARNING"
		}
		if got != c.want {
			t.Errorf("%s certificate with %s left: %s, want %s", lifetimeName(c.lifetime), humanLeft(c.left), got, c.want)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	cases := []struct {
		in             string
		lifetime, left time.Duration
		alert          bool
	}{
		{"30", 397 * day, 29 * day, true},
		{"30", 397 * day, 30 * day, false},
		{"30d", 397 * day, 29 * day, true},
		{"36h", 6 * day, 35 * time.Hour, true},
		{"36h", 6 * day, 37 * time.Hour, false},
		{"25%", 90 * day, 22 * day, true},
		{"25%", 90 * day, 23 * day, false},
		{"25%", 6 * day, 35 * time.Hour, true},
		{"30:", 397 * day, 29*day + 23*time.Hour, true}, // a range judges whole days
		{"~:10", 397 * day, 11 * day, true},
		{"@0:5", 397 * day, 5 * day, true},
		{"@0:5", 397 * day, 6 * day, false},
	}
	for _, c := range cases {
		e, err := ParseExpiry(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := e.Alert(c.left, c.lifetime); got != c.alert {
			t.Errorf("%s on a %s certificate with %s left: alert %v, want %v", c.in, lifetimeName(c.lifetime), humanLeft(c.left), got, c.alert)
		}
	}
	for _, bad := range []string{"", "abc", "-3", "150%", "3x", "NaN", "1:0"} {
		if _, err := ParseExpiry(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLifetimeWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2*day + 20*time.Hour: "2 days 20 hours", 45 * day: "45 days", 10 * time.Hour: "10 hours",
		25 * time.Minute: "25 minutes", day: "1 day", day + time.Hour: "1 day 1 hour", 12*day + 5*time.Hour: "12 days",
	} {
		if got := humanLeft(d); got != want {
			t.Errorf("humanLeft(%s) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{6 * day: "6-day", 90*day - time.Second: "90-day", 36 * time.Hour: "36-hour", 397 * day: "397-day"} {
		if got := lifetimeName(d); got != want {
			t.Errorf("lifetimeName(%s) = %q, want %q", d, got, want)
		}
	}
}
