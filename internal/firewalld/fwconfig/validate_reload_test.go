package fwconfig

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// reloadOddCases are files that look odd, or that firewalld 1.3 and 2.x
// judge differently (see expect.firewalld2): the real daemon must reload
// or refuse them as ValidatePermanent says, not only the offline check.
var reloadOddCases = []string{
	"valid-comment-after-root", "valid-pi-after-root", "valid-latin1", "valid-utf16", "valid-entities",
	"valid-attlist-default", "valid-rule-missing-family", "valid-unused-zone-unknown-service", "valid-unicode-digit-port",
	"refused-zone-ingress-priority", "refused-zone-egress-priority", "refused-rule-limit-burst", "valid-policy-priority-zero",
	"valid-zone-source-invert", "valid-rule-two-elements", "valid-ipset-maxelem", "refused-lockdown-bad-command",
	"reload-refused-rule-unknown-ipset-only",
	"refused-entity-nesting-empty", "refused-entity-billion-laughs", "valid-entity-nesting-under-limit",
}

// TestValidatePermanentAgreesWithReload installs corpus cases one at a time
// into a real firewalld's config tree and reloads it: each case marked
// reload-refused must fail the reload (firewall-cmd --state "failed") where
// --check-config passed, each odd-but-valid case must reload, and
// ValidatePermanent must say the same.
func TestValidatePermanentAgreesWithReload(t *testing.T) {
	f := sandbox.FirewalldForTest(t)
	d := Dirs{ConfigDir: f.ConfigDir, DefaultDir: f.DefaultDir}
	var names []string
	for _, c := range readCorpus(t, installedFirewalld(t)) {
		if c.reload {
			names = append(names, c.name)
		}
	}
	for _, name := range reloadOddCases {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, name := range names {
		src := filepath.Join("testdata/config", name, "etc")
		var installed []string
		err := filepath.WalkDir(src, func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(src, path)
			b, err := os.ReadFile(path)
			if err == nil {
				dst := filepath.Join(f.ConfigDir, rel)
				installed = append(installed, dst)
				err = os.MkdirAll(filepath.Dir(dst), 0o750)
				if err == nil {
					err = os.WriteFile(dst, b, 0o644)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		problems, _ := validateTree(t, d)
		_, reloadErr := f.Cmd("--reload")
		state, _ := f.Cmd("--state")
		switch {
		case (reloadErr != nil) != (len(problems) > 0):
			t.Errorf("%s: reload error %v (state %q), ValidatePermanent %v", name, reloadErr, strings.TrimSpace(state), problems)
		case reloadErr != nil && !strings.Contains(reloadErr.Error(), strings.SplitN(problems[0].Reason, ":", 2)[0]):
			t.Errorf("%s: reload says %v, ValidatePermanent %q", name, reloadErr, problems[0].Reason)
		}
		for _, p := range installed {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := f.Cmd("--reload"); err != nil {
			t.Fatalf("%s: reload of the clean tree: %s %v", name, out, err)
		}
	}
}
