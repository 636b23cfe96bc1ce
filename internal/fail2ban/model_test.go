package fail2ban

import (
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
	// A line whose time cannot be parsed is still a ban.
	bans, problems := parseBans([]string{"198.51.100.1 \tgarbage", ""}, loc)
	if len(bans) != 1 || len(problems) != 1 || bans[0].ID != "198.51.100.1" {
		t.Fatalf("bans %+v problems %v", bans, problems)
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
