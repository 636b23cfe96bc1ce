package fwconfig

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/expat"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

const firewalldInstall = "apt-get install -y firewalld (firewall-offline-cmd, run as root)"

// corpusCase is one directory of testdata/config: etc/ plays ConfigDir
// (firewalld.conf DefaultZone=public unless the case has its own), and
// expect says "valid", "refused <path under etc>" (firewall-offline-cmd
// --check-config refuses it) or "reload-refused <path>" (the check passes,
// the daemon's reload fails: see validate_reload_test.go), optionally
// followed by a "warning <path>" line for ConfigWarnings. The directory's
// prefix and expect are firewalld 1.3's verdict; where firewalld 2.x's
// differs, expect.firewalld2 holds 2.x's (readCorpus picks by the
// installed release).
type corpusCase struct {
	name    string
	refused string // "" when valid
	reload  bool   // refused only by the reload, not by --check-config
	warning string
}

// expectFile is the expectation file of a case for a release line.
func expectFile(dir string, rules RuleSet) string {
	if rules == Rules2 {
		if p := filepath.Join(dir, "expect.firewalld2"); fileExists(p) {
			return p
		}
	}
	return filepath.Join(dir, "expect")
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// readCorpus reads every case's expectation for the release line of v.
func readCorpus(t *testing.T, v FirewalldVersion) []corpusCase {
	return readCorpusFor(t, v.RuleSets()[0])
}

func readCorpusFor(t *testing.T, rules RuleSet) []corpusCase {
	entries, err := os.ReadDir("testdata/config")
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	for _, e := range entries {
		b, err := os.ReadFile(expectFile(filepath.Join("testdata/config", e.Name()), rules))
		if err != nil {
			t.Fatal(err)
		}
		c := corpusCase{name: e.Name()}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			word, arg, _ := strings.Cut(line, " ")
			switch word {
			case "valid":
			case "refused":
				c.refused = arg
			case "reload-refused":
				c.refused, c.reload = arg, true
			case "warning":
				c.warning = arg
			default:
				t.Fatalf("%s/expect: bad line %q", e.Name(), line)
			}
		}
		cases = append(cases, c)
	}
	return cases
}

var installed struct {
	once sync.Once
	v    FirewalldVersion
	err  error
}

// installedFirewalld is the release of the installed firewalld
// (firewall-offline-cmd --version): the real tools the tests compare with.
func installedFirewalld(t testing.TB) FirewalldVersion {
	installed.once.Do(func() {
		out, err := exec.Command("firewall-offline-cmd", "--version").Output()
		if err != nil {
			installed.err = fmt.Errorf("firewall-offline-cmd --version: %v (%s)", err, firewalldInstall)
			return
		}
		installed.v = ParseFirewalldVersion(string(out), "firewall-offline-cmd --version")
		if !installed.v.Known() {
			installed.err = installed.v.Err
		}
	})
	if installed.err != nil {
		t.Fatal(installed.err)
	}
	return installed.v
}

// copyTree copies src into dst (both directories).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput()
	if err != nil {
		t.Fatalf("cp %s: %v %s", src, err, out)
	}
}

// privateDefaults is a copy of the package defaults, passed as
// --default-config (firewall-offline-cmd otherwise reads the host's
// /usr/lib/firewalld: config.set_default_config_paths).
func privateDefaults(t *testing.T) string {
	if _, err := exec.LookPath("firewall-offline-cmd"); err != nil {
		t.Fatalf("firewall-offline-cmd not found: %s", firewalldInstall)
	}
	dir := t.TempDir()
	copyTree(t, "/usr/lib/firewalld", dir)
	return dir
}

var fwErrorLine = regexp.MustCompile(`(?m)^Configuration error: (.*)$`)

// offlineCheck runs firewall-offline-cmd --check-config on the trees and
// returns firewalld's error line ("" when it accepts).
func offlineCheck(t *testing.T, d Dirs) string {
	t.Helper()
	cmd := exec.Command("firewall-offline-cmd", "--system-config", d.ConfigDir, "--default-config", d.DefaultDir, "--check-config")
	out, err := cmd.CombinedOutput()
	if err == nil {
		return ""
	}
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatalf("firewall-offline-cmd: %v (%s)", err, firewalldInstall)
	}
	if m := fwErrorLine.FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return strings.TrimSpace(string(out))
}

// validateTree validates a tree with the installed release's rules.
func validateTree(t *testing.T, d Dirs) ([]ConfigProblem, []ConfigProblem) {
	files, err := remote.Local{}.ReadFiles(context.Background(), PermanentPatterns(d), expat.MaxFileBytes)
	if err != nil {
		t.Fatal(err)
	}
	v := installedFirewalld(t)
	return ValidatePermanent(d, files, v), ConfigWarnings(d, files, v)
}

// firewalldCode is the FirewallError code a message starts with
// ("PARSE_ERROR: …"), "" for Python errors firewalld passes through.
var firewalldCode = regexp.MustCompile(`^([A-Z][A-Z_]+)(:|$)`)

// TestValidatePermanentAgreesWithFirewalld runs each corpus case through
// ValidatePermanent (with the installed release's rules) and through the
// real firewall-offline-cmd --check-config, and asserts the expected
// verdict of that release, the same error code, and for a refusal that
// the file named is the culprit: without it firewalld accepts the
// configuration.
func TestValidatePermanentAgreesWithFirewalld(t *testing.T) {
	defaults := privateDefaults(t)
	for _, c := range readCorpus(t, installedFirewalld(t)) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := Dirs{ConfigDir: filepath.Join(t.TempDir(), "etc"), DefaultDir: defaults}
			if err := os.MkdirAll(d.ConfigDir, 0o755); err != nil {
				t.Fatal(err)
			}
			copyTree(t, filepath.Join("testdata/config", c.name, "etc"), d.ConfigDir)
			conf := filepath.Join(d.ConfigDir, "firewalld.conf")
			if _, err := os.Stat(conf); err != nil {
				if err := os.WriteFile(conf, []byte("DefaultZone=public\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			problems, warnings := validateTree(t, d)
			fwErr := offlineCheck(t, d)
			if c.refused == "" {
				if fwErr != "" {
					t.Errorf("firewalld refuses a case marked valid: %s", fwErr)
				}
				if len(problems) > 0 {
					t.Errorf("ValidatePermanent reports %v; firewalld accepts", problems)
				}
			} else {
				culprit := filepath.Join(d.ConfigDir, c.refused)
				if fwErr == "" && !c.reload {
					t.Errorf("firewalld accepts a case marked refused (%s)", c.refused)
				}
				if fwErr != "" && c.reload {
					t.Errorf("firewall-offline-cmd refuses a case marked reload-refused: %s", fwErr)
				}
				var mine *ConfigProblem
				for i := range problems {
					if problems[i].Path == culprit {
						mine = &problems[i]
					}
				}
				if mine == nil {
					t.Fatalf("ValidatePermanent does not name %s (firewalld: %s); got %v", c.refused, fwErr, problems)
				}
				if want := firewalldCode.FindStringSubmatch(fwErr); want != nil {
					if got := firewalldCode.FindStringSubmatch(mine.Reason); got == nil || got[1] != want[1] {
						t.Errorf("reason %q; firewalld says %q", mine.Reason, fwErr)
					}
				}
				if err := os.Remove(culprit); err != nil {
					t.Fatal(err)
				}
				if again := offlineCheck(t, d); again != "" {
					t.Errorf("without %s firewalld still refuses: %s", c.refused, again)
				}
			}
			var warned bool
			for _, w := range warnings {
				warned = warned || w.Path == filepath.Join(d.ConfigDir, c.warning)
			}
			if (c.warning != "") != warned {
				t.Errorf("ConfigWarnings %v; expected a warning for %q", warnings, c.warning)
			}
		})
	}
}

// BenchmarkValidatePermanentStock validates Debian's whole stock tree
// (about 200 files) plus one admin zone, as a check run does.
func BenchmarkValidatePermanentStock(b *testing.B) {
	d := Dirs{ConfigDir: "/nonexistent/etc/firewalld", DefaultDir: "/usr/lib/firewalld"}
	files, err := remote.Local{}.ReadFiles(context.Background(), PermanentPatterns(d), expat.MaxFileBytes)
	if err != nil || len(files) < 100 {
		b.Fatalf("stock tree: %d files, %v (%s)", len(files), err, firewalldInstall)
	}
	v := installedFirewalld(b)
	files = append(files, remote.File{Path: d.ConfigDir + "/zones/public.xml", Data: []byte(
		`<zone><service name="imaps"/><rule family="ipv4"><source address="192.0.2.0/24"/><service name="smtp"/><accept/></rule></zone>`)})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := ValidatePermanent(d, files, v); len(p) > 0 {
			b.Fatal(p)
		}
	}
}
