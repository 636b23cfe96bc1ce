package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseChangelog(t *testing.T) {
	text := "# Changelog\n\nintro\n\n## [Unreleased]\n\n### Fixed\n\n- a fix\n  continued\n\n## [1.2.0] - 2026-02-01\n\n### Added\n\n- new\n\n## [1.1.10] - 2026-01-01\n\n### Security\n\n- old\n\n[1.2.0]: https://example.org\n"
	rs, err := parseChangelog(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0].Version != "Unreleased" || rs[0].Changes[0].Text != "a fix continued" || rs[1].Version != "1.2.0" || rs[2].Changes[0].Kind != "Security" {
		t.Fatalf("%+v", rs)
	}
	for name, bad := range map[string]string{
		"no date":         "## [1.0.0]\n",
		"not semver":      "## [1.0] - 2026-01-01\n",
		"unknown kind":    "## [1.0.0] - 2026-01-01\n### Stuff\n",
		"bullet no kind":  "## [1.0.0] - 2026-01-01\n- x\n",
		"order":           "## [1.0.0] - 2026-01-01\n## [1.1.0] - 2026-01-01\n",
		"numeric order":   "## [1.2.0] - 2026-01-01\n## [1.10.0] - 2026-01-01\n",
		"unreleased late": "## [1.0.0] - 2026-01-01\n## [Unreleased]\n",
	} {
		if _, err := parseChangelog(bad); err == nil {
			t.Errorf("%s: %q accepted", name, bad)
		}
	}
}

// TestVersionMustHaveItsSection: a VERSION without its changelog section,
// or a package version that is no build of it, is refused.
func TestVersionMustHaveItsSection(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "CHANGELOG.md")
	ver := filepath.Join(dir, "VERSION")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(log, []byte("## [Unreleased]\n### Added\n- next\n## [1.0.0] - 2026-01-01\n### Added\n- first\n"), 0o644))
	must(os.WriteFile(ver, []byte("1.1.0\n"), 0o644))
	if err := run(log, ver, "", "1", ""); err == nil || !strings.Contains(err.Error(), "add a \"## [1.1.0]") {
		t.Errorf("VERSION ahead of the changelog: %v", err)
	}
	must(os.WriteFile(ver, []byte("1.0.0\n"), 0o644))
	if err := run(log, ver, "0.9.0", "1", ""); err == nil {
		t.Error("a package version older than VERSION accepted")
	}
	out := filepath.Join(dir, "changelog.yml")
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	if err := run(log, ver, "1.0.0+3.gabc1234", "1", out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	y := string(b)
	dev := strings.Index(y, `semver: "1.0.0+3.gabc1234-1"`)
	rel := strings.Index(y, `semver: "1.0.0-1"`)
	if dev < 0 || rel < dev || !strings.Contains(y, `note: "Added: next"`) || !strings.Contains(y, "date: "+time.Unix(1767225600, 0).UTC().Format(time.RFC3339)) {
		t.Errorf("chglog for a build after 1.0.0:\n%s", y)
	}
}
