package fail2ban

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestParseBan(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	b, err := parseBan("203.0.113.7 \t2026-11-22 04:54:02 + 3600 = 2026-11-22 05:54:02", loc)
	if err != nil || b.Addr != netip.MustParseAddr("203.0.113.7") || b.Permanent {
		t.Fatalf("%+v %v", b, err)
	}
	now := time.Date(2026, 11, 22, 5, 2, 2, 0, loc)
	if left, ok := b.TimeLeft(now); !ok || left != 52*time.Minute {
		t.Fatalf("left %v %v", left, ok)
	}
	if got := timeLeft(b, now); got != " (52m left)" {
		t.Fatalf("timeLeft %q", got)
	}
	p, err := parseBan("2001:db8::1 \t2026-11-22 04:54:02 + -1 = 9999-12-31 23:59:59", loc)
	if err != nil || !p.Permanent || timeLeft(p, now) != " (permanent ban)" {
		t.Fatalf("permanent: %+v %v", p, err)
	}
	bare, err := parseBan("203.0.113.9", loc)
	if err != nil || bare.Addr != netip.MustParseAddr("203.0.113.9") || timeLeft(bare, now) != "" {
		t.Fatalf("bare: %+v %v", bare, err)
	}
	// A line whose time cannot be parsed still names its ban.
	if g, err := parseBan("198.51.100.1 \tgarbage", loc); err == nil || g.ID != "198.51.100.1" {
		t.Fatalf("garbage time: %+v %v", g, err)
	}
	// An expired-but-not-yet-lifted ban shows 0s, never a negative time.
	if left, _ := b.TimeLeft(now.Add(2 * time.Hour)); left != 0 {
		t.Fatalf("negative left %v", left)
	}
}

func TestFormatLeft(t *testing.T) {
	for d, want := range map[time.Duration]string{
		42 * time.Second:                "42s",
		52*time.Minute + 30*time.Second: "52m",
		65 * time.Minute:                "1h05m",
		50 * time.Hour:                  "2d2h",
	} {
		if got := FormatLeft(d); got != want {
			t.Errorf("%v: %q want %q", d, got, want)
		}
	}
}

// TestWithEndTimes: each asked ban gets the end of its own line, an IPv6
// address matches however the list spells it, a non-IP ID matches only
// itself, and the other lines of a long list are not parsed (a ban list
// may hold 100,000 lines; the check asks about a few).
func TestWithEndTimes(t *testing.T) {
	loc := time.UTC
	lines := make([]string, 0, 100003)
	for i := range 100000 {
		lines = append(lines, fmt.Sprintf("10.%d.%d.%d \t2026-11-22 04:54:02 + 600 = 2026-11-22 05:04:02", i>>16, i>>8&255, i&255))
	}
	lines = append(lines,
		"2001:db8:0:0::7 \t2026-11-22 04:54:02 + 3600 = 2026-11-22 05:54:02",
		"someuser \t2026-11-22 04:54:02 + -1 = 9999-12-31 23:59:59",
		"203.0.113.9 \tgarbage")
	v6 := netip.MustParseAddr("2001:db8::7")
	bans := []Ban{
		{ID: v6.String(), Addr: v6},
		{ID: "10.1.2.3", Addr: netip.MustParseAddr("10.1.2.3")},
		{ID: "otheruser"},
		{ID: "203.0.113.9", Addr: netip.MustParseAddr("203.0.113.9")},
		{ID: "198.51.100.1", Addr: netip.MustParseAddr("198.51.100.1")},
	}
	got := withEndTimes(bans, lines, loc)
	want := []time.Time{
		time.Date(2026, 11, 22, 5, 54, 2, 0, loc),
		time.Date(2026, 11, 22, 5, 4, 2, 0, loc),
		{}, {}, {},
	}
	for i, b := range got {
		if !b.End.Equal(want[i]) || b.Permanent {
			t.Errorf("%s: end %v permanent %v, want end %v", b.ID, b.End, b.Permanent, want[i])
		}
	}
	if bans[0].End != (time.Time{}) {
		t.Error("withEndTimes changed its input")
	}
	if allocs := testing.AllocsPerRun(3, func() { withEndTimes(bans[1:2], lines, loc) }); allocs > 20 {
		t.Errorf("%.0f allocations for one ban in %d lines: every line was parsed", allocs, len(lines))
	}
}
