package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestIgnoreSelfInterfaceAddress: an address of the mail host's own
// interface that none of its names resolve to. fail2ban 1.1 ignores it by
// ignoreself (every interface address), 1.0 bans it (only localhost and the
// host's names): the check, run in the server's network namespace, says
// what the installed fail2ban then does, and the server's own decision on
// real failure lines from that address is the oracle.
func TestIgnoreSelfInterfaceAddress(t *testing.T) {
	version, err := sandbox.Fail2banVersion()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := buildPlugin(t, dir)
	const own = "203.0.113.77"
	f, err := sandbox.StartFail2banNetNS(dir, "127.0.0.1/8 ::1", []string{own + "/32"},
		sandbox.Fail2banJail{Name: "dovecot"})
	if err != nil {
		t.Fatalf("cannot start the real fail2ban in a network namespace (never skipped): %v", err)
	}
	t.Cleanup(f.Stop)

	out, _ := exec.Command("nsenter", "--net="+f.NetNS(), bin, "--socket", f.Socket, "--ip", own, "-v").CombinedOutput()
	text := string(out)
	t.Logf("fail2ban %s:\n%s", version, text)
	if sandbox.Fail2banAtLeast11(version) {
		if !strings.HasPrefix(text, "OK: "+own+" not banned and whitelisted in all 1 jails") || !strings.Contains(text, "whitelisted by ignoreself") {
			t.Fatalf("fail2ban %s covers its interface addresses by ignoreself; the check says:\n%s", version, text)
		}
		if err := f.DovecotFailures(own, 3); err != nil {
			t.Fatal(err)
		}
		if err := f.WaitIgnored("dovecot", own, 20*time.Second); err != nil {
			t.Fatalf("oracle: fail2ban %s did not ignore %s: %v", version, own, err)
		}
		return
	}
	if !strings.HasPrefix(text, "WARNING: "+own+" is not whitelisted in dovecot") {
		t.Fatalf("fail2ban %s covers only its names' addresses by ignoreself; the check says:\n%s", version, text)
	}
	if err := f.DovecotFailures(own, 3); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitBanned("dovecot", own, 20*time.Second); err != nil {
		t.Fatalf("oracle: fail2ban %s did not ban %s: %v", version, own, err)
	}
}
