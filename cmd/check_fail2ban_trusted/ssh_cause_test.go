package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// A ban by real failure lines, checked locally and over SSH: both name when
// and after how many failures (here from fail2ban's log, read on the mail
// host through the remote seam), in the same words.
func TestRemoteBanCause(t *testing.T) {
	r := startRemote(t, sandbox.SSHDOptions{})
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
	lcode, lout := run(t, "--socket", r.f2b.Socket, "--ip", "203.0.113.7")
	rcode, rout := run(t, r.remote("--ip", "203.0.113.7")...)
	if lcode != 2 || rcode != 2 || finding(lout) != finding(rout) {
		t.Fatalf("local (%d):\n%s\nssh (%d):\n%s", lcode, lout, rcode, rout)
	}
	if f := finding(rout); !strings.HasPrefix(f, "[CRITICAL] 203.0.113.7 is banned in dovecot since ") || !strings.HasSuffix(f, " after 3 failures") {
		t.Fatalf("over SSH, no ban cause in %q:\n%s", f, rout)
	}
	if !strings.Contains(rout, "ban record from fail2ban's log "+r.f2b.F2BLog) {
		t.Fatalf("over SSH, the record's source is not named:\n%s", rout)
	}
}
