package fail2ban

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// findingText is the first finding's text, the line an operator reads first.
func findingText(r plugin.Result) string {
	if len(r.Findings) == 0 {
		return ""
	}
	return r.Findings[0].Text
}

// banByFailures writes three real dovecot failure lines from ip (the stock
// filter matches them; maxretry is 3) and waits for the ban.
func banByFailures(t *testing.T, f *sandbox.Fail2ban, ip string) {
	t.Helper()
	if err := f.DovecotFailures(ip, 3); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitBanned("dovecot", ip, 20*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestRealBanCauseFromDatabase: fail2ban with its database in a file, as
// on a real host; a ban by real failure lines. The finding says since when,
// for how long, after how many failures, and shows the failure lines
// fail2ban recorded with the ban.
func TestRealBanCauseFromDatabase(t *testing.T) {
	dir := t.TempDir()
	f, err := sandbox.StartFail2banDB(dir, realDefaultIgnore, filepath.Join(dir, "fail2ban.sqlite3"), sandbox.Fail2banJail{Name: "dovecot"})
	if err != nil {
		t.Fatalf("cannot start the real fail2ban (never skipped; `make deps` installs it): %v", err)
	}
	t.Cleanup(f.Stop)
	banByFailures(t, f, "203.0.113.7")

	// fail2ban writes the ban record from its observer thread, just after
	// the ban: until then the cause comes from the log.
	want := regexp.MustCompile(`^203\.0\.113\.7 is banned in dovecot since \d\d:\d\d \((59m|1h00m) left\) after 3 failures: .*pam\(phone,203\.0\.113\.7\): pam_authenticate\(\) failed`)
	var r plugin.Result
	deadline := time.Now().Add(15 * time.Second)
	for {
		r = both(t, f, opts(plugin.Warning, "203.0.113.7"))
		if want.MatchString(findingText(r)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	expect(t, r, plugin.Critical, "203.0.113.7 is banned in dovecot",
		"203.0.113.7 in dovecot, earlier failure 1: ", "203.0.113.7 in dovecot, earlier failure 2: ",
		"ban record from fail2ban's database "+filepath.Join(dir, "fail2ban.sqlite3"))
	t.Logf("%s\n%s", findingText(r), strings.Join(r.Details, "\n"))
	if !want.MatchString(findingText(r)) {
		t.Fatalf("finding %q does not match %s", findingText(r), want)
	}

	// With the end from the database record, the jail's ban list is not
	// read: the server's own log of the commands it received (level 5)
	// says what was asked.
	if out, err := f.Client("set", "loglevel", "HEAVYDEBUG"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	commands := func() string {
		before, _ := os.ReadFile(f.F2BLog)
		r = both(t, f, opts(plugin.Warning, "203.0.113.7"))
		after, _ := os.ReadFile(f.F2BLog)
		return string(after[len(before):])
	}
	if log := commands(); !strings.Contains(log, "'banned', '203.0.113.7'") || strings.Contains(log, "'banip'") {
		t.Fatalf("with the database record: want `banned` asked and no ban list, the server logged:\n%s", log)
	}
	if !strings.HasPrefix(findingText(r), "203.0.113.7 is banned in dovecot since ") || !strings.Contains(findingText(r), "m left) after 3 failures") {
		t.Fatalf("end from the database record: %q", findingText(r))
	}

	// The database gone (a broken disk, a wrong path): the log still says
	// when and after how many failures, and the output says where from.
	if err := os.Remove(filepath.Join(dir, "fail2ban.sqlite3")); err != nil {
		t.Fatal(err)
	}
	if log := commands(); !strings.Contains(log, "'banip', '--with-time'") {
		t.Fatalf("without the database: want the ban list read for the end, the server logged:\n%s", log)
	}
	expect(t, r, plugin.Critical, "203.0.113.7 is banned in dovecot", "ban record from fail2ban's log "+f.F2BLog,
		"ban cause from the log: cannot read fail2ban's database "+filepath.Join(dir, "fail2ban.sqlite3")+" (FileNotFoundError")
	if got := findingText(r); !strings.HasSuffix(got, " after 3 failures") {
		t.Fatalf("database gone: %q", got)
	}
}

// TestRealBanCauseFromLog: no database on disk (dbfile :memory:), so the
// cause comes from fail2ban's log: the Ban line's time and the Found lines
// before it; and once the log is gone too, one line says so.
func TestRealBanCauseFromLog(t *testing.T) {
	f := startReal(t, sandbox.Fail2banJail{Name: "dovecot"})
	banByFailures(t, f, "203.0.113.7")
	r := both(t, f, opts(plugin.Warning, "203.0.113.7"))
	want := regexp.MustCompile(`^203\.0\.113\.7 is banned in dovecot since \d\d:\d\d \((59m|1h00m) left\) after 3 failures$`)
	if !want.MatchString(findingText(r)) {
		t.Fatalf("finding %q does not match %s", findingText(r), want)
	}
	expect(t, r, plugin.Critical, "203.0.113.7 is banned in dovecot", "ban record from fail2ban's log "+f.F2BLog)

	// A second ban of the same address counts only its own failures.
	if out, err := f.Client("set", "dovecot", "unbanip", "203.0.113.7"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if err := f.DovecotFailures("203.0.113.7", 4); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitBanned("dovecot", "203.0.113.7", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	r = both(t, f, opts(plugin.Warning, "203.0.113.7"))
	if got := findingText(r); !strings.Contains(got, " after 3 failures") && !strings.Contains(got, " after 4 failures") {
		t.Fatalf("second ban: %q (want 3 or 4 failures: the first ban's are not counted)", got)
	}

	if err := os.Remove(f.F2BLog); err != nil {
		t.Fatal(err)
	}
	r = both(t, f, opts(plugin.Warning, "203.0.113.7"))
	if got := findingText(r); got != "203.0.113.7 is banned in dovecot (59m left)" && got != "203.0.113.7 is banned in dovecot (1h00m left)" {
		t.Fatalf("without records: finding %q, want no cause", got)
	}
	expect(t, r, plugin.Critical, "203.0.113.7 is banned in dovecot",
		"ban cause not shown: fail2ban keeps no ban records on disk (dbfile :memory:); cannot read fail2ban's log "+f.F2BLog)
}
