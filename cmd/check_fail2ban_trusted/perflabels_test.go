package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestPerfLabelsWhenFail2banIsDown: the binary prints the same perfdata
// labels when it cannot reach fail2ban as when it judged it ("U": not
// measured), parsed as Icinga 2 parses them (issue 16).
func TestPerfLabelsWhenFail2banIsDown(t *testing.T) {
	bin := buildPlugin(t, t.TempDir())
	out, _ := exec.Command(bin, "--socket", filepath.Join(t.TempDir(), "none.sock"), "--ip", "192.0.2.1").CombinedOutput()
	var labels []string
	for _, p := range sandbox.IcingaPerfdata(string(out)) {
		labels = append(labels, p.Label)
		if p.Label != "time" && p.Err == nil {
			t.Errorf("%s has a value although nothing was measured: %s", p.Label, p.Raw)
		}
	}
	slices.Sort(labels)
	want := []string{"banned_ips", "jails_banning", "jails_checked", "jails_not_whitelisting", "time"}
	if !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v:\n%s", labels, want, out)
	}
}
