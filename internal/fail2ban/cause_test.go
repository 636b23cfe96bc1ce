package fail2ban

import (
	"strings"
	"testing"
	"time"
)

// A fail2ban 1.0.2 log as the real server writes it (timestamps, thread
// names and padding as in the sandbox's fail2ban.log): two bans of the same
// address in dovecot, the first restored after a restart, failures of
// another address and of another jail in between.
const causeLog = `2026-12-07 03:00:01,100 fail2ban.filter         [100]: INFO    [dovecot] Found 203.0.113.7 - 2026-12-07 03:00:01
2026-12-07 03:00:02,100 fail2ban.filter         [100]: INFO    [dovecot] Found 203.0.113.7 - 2026-12-07 03:00:02
2026-12-07 03:00:03,100 fail2ban.actions        [100]: NOTICE  [dovecot] Restore Ban 203.0.113.7
2026-12-07 04:01:00,100 fail2ban.filter         [100]: INFO    [dovecot] Found 203.0.113.70 - 2026-12-07 04:01:00
2026-12-07 04:01:01,100 fail2ban.filter         [100]: INFO    [postfix-sasl] Found 203.0.113.7 - 2026-12-07 04:01:01
2026-12-07 04:01:02,100 fail2ban.filter         [100]: INFO    [dovecot] Found 203.0.113.7 - 2026-12-07 04:01:02
2026-12-07 04:01:03,100 fail2ban.filter         [100]: INFO    [dovecot] Found 203.0.113.7 - 2026-12-07 04:01:03
2026-12-07 04:01:04,100 fail2ban.filter         [100]: INFO    [dovecot] Found 203.0.113.7 - 2026-12-07 04:01:04
2026-12-07 04:01:04,300 fail2ban.actions        [100]: NOTICE  [dovecot] Ban 203.0.113.7
2026-12-07 04:01:05,100 fail2ban.actions        [100]: NOTICE  [dovecot] Ban 203.0.113.70
`

func TestCauseFromLog(t *testing.T) {
	c, ok := causeFromLog(causeLog, "dovecot", "203.0.113.7")
	want := time.Date(2026, 12, 7, 4, 1, 4, 0, time.Local)
	if !ok || !c.Start.Equal(want) || c.Failures != 3 {
		t.Fatalf("got %+v %v, want the 04:01:04 ban after 3 failures (not the first ban's, another address's or another jail's)", c, ok)
	}
	if _, ok := causeFromLog(causeLog, "postfix-sasl", "203.0.113.7"); ok {
		t.Fatal("a Found line taken for a ban")
	}
	firstBan := strings.Join(strings.SplitAfter(causeLog, "\n")[:3], "")
	if c, ok := causeFromLog(firstBan, "dovecot", "203.0.113.7"); !ok || c.Failures != 2 {
		t.Fatalf("restored ban: %+v %v", c, ok)
	}
}

func TestBannedText(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 1, 0, 0, time.UTC)
	c := BanCause{Jail: "dovecot", IP: "203.0.113.7", From: "database /var/lib/fail2ban/fail2ban.sqlite3",
		Start: time.Date(2026, 12, 7, 14, 2, 0, 0, time.UTC), Failures: 4,
		Matches: []string{"a", "b", "auth failed rip=203.0.113.7"}, Truncated: true}
	text, details := bannedText("203.0.113.7", "dovecot", " (59m left)", c, true, now)
	if text != "203.0.113.7 is banned in dovecot since 14:02 (59m left) after 4 failures: auth failed rip=203.0.113.7" {
		t.Errorf("text %q", text)
	}
	if len(details) != 3 || details[0] != "203.0.113.7 in dovecot, earlier failure 1: a" ||
		details[2] != "203.0.113.7 in dovecot: ban record from fail2ban's database /var/lib/fail2ban/fail2ban.sqlite3; the last 3 failure lines shown" {
		t.Errorf("details %q", details)
	}
	c.Start, c.Matches, c.Failures = now.Add(-25*time.Hour), nil, 1
	if text, _ := bannedText("203.0.113.7", "dovecot", "", c, true, now); text != "203.0.113.7 is banned in dovecot since Dec 6 14:01 after 1 failure" {
		t.Errorf("yesterday's ban: %q", text)
	}
	if text, details := bannedText("203.0.113.7", "dovecot", " (permanent ban)", BanCause{}, false, now); text != "203.0.113.7 is banned in dovecot (permanent ban)" || details != nil {
		t.Errorf("no cause: %q %q", text, details)
	}
}
