package contrib

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestFail2banDropInLoads: systemd-analyze verify loads fail2ban.service with
// the drop-in next to it and has nothing to say about the drop-in; a typo in
// it is reported (so the test can fail).
func TestFail2banDropInLoads(t *testing.T) {
	analyze := requireTool(t, "systemd-analyze")
	unit := "/lib/systemd/system/fail2ban.service"
	const dropIn = "mailchecks-socket-acl.conf"
	verify := func(content string) result {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "fail2ban.service"), readFile(t, unit), 0o644)
		writeFile(t, filepath.Join(dir, "fail2ban.service.d", dropIn), content, 0o644)
		// --man=no: whether man-db and fail2ban's man pages are installed
		// (Documentation=man:…) is the host's business, not the drop-in's.
		return run(t, false, nil, "", analyze, "verify", "--man=no", filepath.Join(dir, "fail2ban.service"))
	}
	text := readFile(t, filepath.Join("systemd", "fail2ban.service.d", dropIn))
	if !strings.Contains(text, "ExecStartPost=-/bin/sh -c '") {
		t.Errorf("the drop-in must reapply the ACL in ExecStartPost, with - so a failure cannot stop fail2ban")
	}
	if r := verify(text); r.code != 0 || strings.Contains(r.stdout+r.stderr, dropIn) {
		t.Errorf("systemd-analyze verify: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := verify(strings.Replace(text, "ExecStartPost=", "ExecStartPots=", 1)); !strings.Contains(r.stdout+r.stderr, dropIn) {
		t.Errorf("systemd-analyze verify did not notice a misspelt key in the drop-in:\n%s%s", r.stdout, r.stderr)
	}
}

// TestFail2banSocketACLDropIn runs the drop-in's ExecStartPost command as
// systemd would (as root, after fail2ban-server started) against a real
// fail2ban whose socket is at the default path in a private namespace: the
// ACL it sets lets nagios, as a member of the group mailchecks, use the
// plain socket backend; nagios outside the group and another user are still
// refused, and the plugin says UNKNOWN for them.
func TestFail2banSocketACLDropIn(t *testing.T) {
	requireTool(t, "setfacl")
	in := install(t)
	dir := worldDir(t)
	f2b, err := sandbox.StartFail2ban(filepath.Join(dir, "fail2ban"), "127.0.0.1/8 198.51.100.0/24",
		sandbox.Fail2banJail{Name: "dovecot"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f2b.Stop)
	// /run/fail2ban/fail2ban.sock is the sandbox's socket (setfacl follows
	// the link, so the ACL lands on it and outlives the namespace).
	in.extra = `mount -t tmpfs -o mode=0755 tmpfs /run/fail2ban 2>/dev/null || { mkdir -p /run/fail2ban && mount -t tmpfs -o mode=0755 tmpfs /run/fail2ban; }
ln -s ` + f2b.Socket + ` /run/fail2ban/fail2ban.sock`

	text := readFile(t, filepath.Join("systemd", "fail2ban.service.d", "mailchecks-socket-acl.conf"))
	m := regexp.MustCompile(`(?m)^ExecStartPost=-/bin/sh -c '([^']*)'$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no ExecStartPost=-/bin/sh -c '…' line in the drop-in:\n%s", text)
	}
	check := func(in *installed, user string) result {
		return in.run(t, user, "", pluginDir+"/check_fail2ban_trusted", "--socket", "/run/fail2ban/fail2ban.sock", "--ip", "198.51.100.10")
	}
	// Before: root only (fail2ban-server makes the socket 0600).
	if r := check(in, "nagios"); r.code != 3 {
		t.Fatalf("before the drop-in ran, as nagios: exit %d, want 3 (UNKNOWN permission denied):\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := in.run(t, "", "", "/bin/sh", "-c", m[1]); r.code != 0 {
		t.Fatalf("the drop-in's command: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := check(in, "nagios")
	t.Logf("as nagios in %s, socket backend: %s", monitoringGroup, r.firstLine())
	if r.code != 0 {
		t.Errorf("after the drop-in, as nagios in %s: exit %d, want 0:\n%s%s", monitoringGroup, r.code, r.stdout, r.stderr)
	}
	for _, c := range []struct {
		in   *installed
		user string
	}{{in.withoutGroup(), "nagios"}, {in, "nobody"}} {
		if r := check(c.in, c.user); r.code != 3 || !strings.Contains(strings.ToLower(r.stdout), "permission denied") {
			t.Errorf("after the drop-in, as %s not in %s: exit %d, want 3 (UNKNOWN permission denied):\n%s%s", c.user, monitoringGroup, r.code, r.stdout, r.stderr)
		}
	}
}
