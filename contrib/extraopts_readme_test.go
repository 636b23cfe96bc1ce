package contrib

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// readmeINI is the --extra-opts example (the ```ini block) of
// docs/icinga-nrpe.md, moved there from the README.
func readmeINI(t *testing.T) string {
	t.Helper()
	_, rest, ok := strings.Cut(readFile(t, "../docs/icinga-nrpe.md"), "```ini\n")
	if !ok {
		t.Fatal("docs/icinga-nrpe.md has no ```ini block (the --extra-opts example)")
	}
	block, _, _ := strings.Cut(rest, "```")
	return block
}

// TestREADMEExtraOpts runs the README's --extra-opts example as written:
// check_fail2ban_trusted with --extra-opts=office@FILE against a real
// fail2ban-server (both addresses and the jail come from [office]), and
// check_imaps_tls with a bare section from the same file, which holds a
// password: accepted at mode 0640, refused at 0644.
func TestREADMEExtraOpts(t *testing.T) {
	dir := worldDir(t)
	f2b, err := sandbox.StartFail2ban(filepath.Join(dir, "fail2ban"), "198.51.100.0/24", sandbox.Fail2banJail{Name: "dovecot"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f2b.Stop)
	ini := filepath.Join(dir, "mailchecks.ini")
	writeFile(t, ini, readmeINI(t), 0o640)

	r := run(t, false, nil, "", pluginBin(t, "check_fail2ban_trusted"), "--extra-opts=office@"+ini, "--socket", f2b.Socket)
	t.Logf("check_fail2ban_trusted --extra-opts=office@…: exit %d, %s", r.code, r.firstLine())
	// 203.0.113.7 is neither banned nor whitelisted: WARNING; the other
	// address is whitelisted by the jail's ignoreip.
	if r.code != 1 || !strings.Contains(r.stdout, "203.0.113.7") || !strings.Contains(r.stdout, "dovecot") {
		t.Errorf("want WARNING about 203.0.113.7 in dovecot (from [office]):\n%s%s", r.stdout, r.stderr)
	}

	imaps := func() result {
		return run(t, false, nil, "", pluginBin(t, "check_imaps_tls"), "--extra-opts=check_imaps_tls@"+ini, "-t", "3")
	}
	r = imaps()
	if strings.HasPrefix(r.stdout, "UNKNOWN: bad arguments") || !strings.Contains(r.stdout, "mail.example.org") {
		t.Errorf("check_imaps_tls with [check_imaps_tls] (mode 0640): the options were not taken:\n%s%s", r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "s3cret") {
		t.Errorf("the password is in the output:\n%s", r.stdout)
	}
	if err := os.Chmod(ini, 0o644); err != nil {
		t.Fatal(err)
	}
	if r = imaps(); r.code != 3 || !strings.Contains(r.firstLine(), "chmod o-r "+ini) {
		t.Errorf("a password in a world-readable file: exit %d, want UNKNOWN naming chmod o-r:\n%s", r.code, r.stdout)
	}
}
