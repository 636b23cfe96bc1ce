package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// A ban by real failure lines, checked locally and over SSH: both name when
// and after how many failures (here from fail2ban's log, read on the mail
// host through the remote seam), in the same words.
func TestRemoteBanCause(t *testing.T) {
	t.Run("log", func(t *testing.T) { remoteBanCause(t, ":memory:", "log") })
	// the database read by the mail host's python3, over the SSH connection
	t.Run("database", func(t *testing.T) {
		remoteBanCause(t, filepath.Join(t.TempDir(), "fail2ban.sqlite3"), "database")
	})
}

func remoteBanCause(t *testing.T, dbfile, from string) {
	r := startRemoteDB(t, sandbox.SSHDOptions{}, dbfile)
	if err := r.f2b.DovecotFailures("203.0.113.7", 3); err != nil {
		t.Fatal(err)
	}
	if err := r.f2b.WaitBanned("dovecot", "203.0.113.7", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	finding := func(out string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "[CRITICAL] ") {
				text, _, _ := strings.Cut(l, " Fix: ")
				return text
			}
		}
		return ""
	}
	// fail2ban writes the database record just after the ban: wait for it.
	var lcode, rcode int
	var lout, rout string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		lcode, lout = run(t, "--socket", r.f2b.Socket, "--ip", "203.0.113.7")
		rcode, rout = run(t, r.remote("--ip", "203.0.113.7")...)
		if strings.Contains(rout, "ban record from fail2ban's "+from) && strings.Contains(lout, "ban record from fail2ban's "+from) || time.Now().After(deadline) {
			break
		}
	}
	if lcode != 2 || rcode != 2 || finding(lout) != finding(rout) {
		t.Fatalf("local (%d):\n%s\nssh (%d):\n%s", lcode, lout, rcode, rout)
	}
	want := " after 3 failures"
	if from == "database" {
		want += ": "
	}
	if f := finding(rout); !strings.HasPrefix(f, "[CRITICAL] 203.0.113.7 is banned in dovecot since ") || !strings.Contains(f+": ", want) {
		t.Fatalf("over SSH, no ban cause in %q:\n%s", f, rout)
	}
	if !strings.Contains(rout, "ban record from fail2ban's "+from+" ") {
		t.Fatalf("over SSH, the record's source is not the %s:\n%s", from, rout)
	}
}
