package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestTwentyThousandBans runs the real binary against a real
// fail2ban-server before and after one jail bans 20,000 addresses: the
// verdicts are right (a trusted address that is not banned is OK, one
// banned among the 20,000 is CRITICAL with its end time), the ban count
// perfdata says 20,001, and the check's peak RSS does not grow with the
// bans (it asks `get JAIL banned IP`, never for the whole list, unless the
// jail bans the target). Timing is `make bench`'s business, not a test's.
func TestTwentyThousandBans(t *testing.T) {
	dir := t.TempDir()
	bin := buildPlugin(t, dir)
	f, err := sandbox.StartFail2ban(dir, "127.0.0.1/8 ::1 198.51.100.0/24",
		sandbox.Fail2banJail{Name: "dovecot", Extra: "action ="}, // no action: a ban runs nothing
		sandbox.Fail2banJail{Name: "postfix-sasl"})
	if err != nil {
		t.Fatalf("cannot start the real fail2ban (never skipped; `make deps` installs it): %v", err)
	}
	t.Cleanup(f.Stop)

	check := func(ip string) (string, int, int64) {
		t.Helper()
		out, code, rss := runMeasured(t, bin, "--socket", f.Socket, "--ip", ip, "-t", "20")
		t.Logf("--ip %s: exit %d, peak RSS %d KiB: %s", ip, code, rss>>10, firstLine(out))
		return out, code, rss
	}
	out, code, rss0 := check("198.51.100.7")
	if code != 0 || !strings.Contains(out, "'banned_ips'=0;") {
		t.Fatalf("no bans: want OK with banned_ips=0, got exit %d: %s", code, out)
	}

	start := time.Now()
	if err := f.BanMany("dovecot", append(sandbox.BenchAddrs(20000), "203.0.113.7")); err != nil {
		t.Fatal(err)
	}
	t.Logf("20,001 bans in %s", time.Since(start).Round(time.Millisecond))

	out, code, rss := check("198.51.100.7")
	if code != 0 || !strings.Contains(out, "'banned_ips'=20001;") {
		t.Fatalf("20,001 bans, trusted address not among them: want OK with banned_ips=20001, got exit %d: %s", code, out)
	}
	// Same binary, same questions, a few bytes more per reply: the peak may
	// move by allocator noise, not by the megabytes a 20,000-entry list
	// costs to read (~1 MB pickled, several MiB decoded).
	if rss > rss0+2<<20 {
		t.Errorf("peak RSS %d KiB with 20,001 bans, %d KiB with none: it grows with the bans", rss>>10, rss0>>10)
	}

	out, code, _ = check("203.0.113.7")
	if code != 2 || !strings.HasPrefix(out, "CRITICAL: 203.0.113.7 is banned in dovecot (59m left)") &&
		!strings.HasPrefix(out, "CRITICAL: 203.0.113.7 is banned in dovecot (1h00m left)") {
		t.Fatalf("banned among 20,001: want CRITICAL with the time left, got exit %d: %s", code, out)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
