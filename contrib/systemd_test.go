package contrib

import (
	"path/filepath"
	"strings"
	"testing"
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
		return run(t, false, nil, "", analyze, "verify", filepath.Join(dir, "fail2ban.service"))
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
