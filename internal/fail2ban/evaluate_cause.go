package fail2ban

import (
	"fmt"
	"time"
)

// bannedText is the finding for a target banned in a jail: when, for how
// long still, and after which failures, when fail2ban's records say so.
// e.g. "203.0.113.7 is banned in dovecot since 14:02 (59m left) after 4
// failures: <the last failure line>". The earlier failure lines it has are
// returned as detail lines.
func bannedText(label, jail, left string, c BanCause, ok bool, now time.Time) (string, []string) {
	if !ok {
		return fmt.Sprintf("%s is banned in %s%s", label, jail, left), nil
	}
	text := fmt.Sprintf("%s is banned in %s", label, jail)
	if !c.Start.IsZero() {
		text += " since " + clock(c.Start, now)
	}
	text += left
	if c.Failures > 0 {
		text += fmt.Sprintf(" after %d failure%s", c.Failures, plural(c.Failures))
	}
	var details []string
	if n := len(c.Matches); n > 0 {
		text += ": " + c.Matches[n-1]
		for i, m := range c.Matches[:n-1] {
			details = append(details, fmt.Sprintf("%s in %s, earlier failure %d: %s", label, jail, i+1, m))
		}
	}
	shown := ""
	if c.Truncated {
		shown = fmt.Sprintf("; the last %d failure lines shown", len(c.Matches))
	}
	details = append(details, fmt.Sprintf("%s in %s: ban record from fail2ban's %s%s", label, jail, c.From, shown))
	return text, details
}

// clock prints a ban's start as an operator reads it: the time alone on the
// day of the check, with the date otherwise.
func clock(t, now time.Time) string {
	t = t.In(now.Location())
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("Jan 2 15:04")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func timeLeft(b Ban, now time.Time) string {
	if b.Permanent {
		return " (permanent ban)"
	}
	d, ok := b.TimeLeft(now)
	if !ok {
		return ""
	}
	return " (" + FormatLeft(d) + " left)"
}

// FormatLeft prints a remaining ban time the way an operator reads it.
func FormatLeft(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}
