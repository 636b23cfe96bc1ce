package fail2ban

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestRealIgnoreIPFile: `ignoreip = file:PATH` with a file that lists the
// address. fail2ban 1.1.1 and later read the file; 1.0.2 and 1.1.0 take the
// entry for a host name, which never resolves, and ban the address: the
// check says what the installed server does, and the server's own decision
// on real failure lines is the oracle.
func TestRealIgnoreIPFile(t *testing.T) {
	version, err := sandbox.Fail2banVersion()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	list := filepath.Join(dir, "trusted.list")
	if err := os.WriteFile(list, []byte("# the office\n203.0.113.7 ; home\n198.51.100.0/24, 2001:db8::/32\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := sandbox.StartFail2ban(filepath.Join(dir, "f2b"), "127.0.0.1/8 ::1",
		sandbox.Fail2banJail{Name: "dovecot", IgnoreIP: "127.0.0.1/8 file:" + list})
	if err != nil {
		t.Fatalf("cannot start the real fail2ban (never skipped; `make deps` installs it): %v", err)
	}
	t.Cleanup(f.Stop)
	printed, _ := f.Client("get", "dovecot", "ignoreip")
	t.Logf("fail2ban %s prints ignoreip as:\n%s", version, printed)

	r := both(t, f, opts(plugin.Warning, "203.0.113.7"))
	if versionAtLeast(version, 1, 1, 1) {
		expect(t, r, plugin.OK, "203.0.113.7 not banned and whitelisted in all 1 jails")
		if err := f.DovecotFailures("203.0.113.7", 3); err != nil {
			t.Fatal(err)
		}
		if err := f.WaitIgnored("dovecot", "203.0.113.7", 20*time.Second); err != nil {
			t.Fatalf("oracle: fail2ban %s did not ignore the address its file lists: %v", version, err)
		}
		return
	}
	expect(t, r, plugin.Warning, "203.0.113.7 is not whitelisted in dovecot", "reads file: entries from 1.1.1 on")
	if err := f.DovecotFailures("203.0.113.7", 3); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitBanned("dovecot", "203.0.113.7", 20*time.Second); err != nil {
		t.Fatalf("oracle: fail2ban %s did not ban the address its file: entry lists: %v", version, err)
	}
	if !strings.Contains(printed, "file:") {
		t.Errorf("fail2ban %s no longer prints the file: entry as text:\n%s", version, printed)
	}
}
