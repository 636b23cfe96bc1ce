package packaging

import (
	"fmt"
	"strings"
	"testing"
)

// version converts one `git describe` output with version.sh.
func version(t *testing.T, describe string, count int) string {
	t.Helper()
	return strings.TrimSpace(run(t, nil, "./version.sh", describe, fmt.Sprint(count)))
}

func TestVersionScheme(t *testing.T) {
	for _, tc := range []struct {
		describe string
		count    int
		want     string
	}{
		{"v1.2.3", 0, "1.2.3"},
		{"1.2.3", 0, "1.2.3"},
		{"v1.2.3-dirty", 0, "1.2.3+0.dirty"},
		{"v1.2.3-4-gabc1234", 0, "1.2.3+4.gabc1234"},
		{"v1.2.3-4-gabc1234-dirty", 0, "1.2.3+4.gabc1234.dirty"},
		{"v1.3.0-rc1", 0, "1.3.0~rc1"},
		{"v1.3.0-rc1-2-gabc1234", 0, "1.3.0~rc1+2.gabc1234"},
		{"f000c48", 71, "0.0.0+71.gf000c48"}, // no tag: --always gave the hash
		{"f000c48-dirty", 71, "0.0.0+71.gf000c48.dirty"},
	} {
		if got := version(t, tc.describe, tc.count); got != tc.want {
			t.Errorf("version.sh %s %d = %q, want %q", tc.describe, tc.count, got, tc.want)
		}
	}
	if out, code := runCode(t, nil, "./version.sh", "release-2"); code == 0 || !strings.Contains(out, "does not start with a digit") {
		t.Errorf("a tag that is no version: exit %d %q, want an error", code, out)
	}
}

// TestVersionOrder: the history of a project, oldest first, as version.sh
// names it, must sort in that order for dpkg and for rpm; in particular a
// build after a tag is newer than the tag and older than the next one.
func TestVersionOrder(t *testing.T) {
	requireTool(t, "dpkg")
	requireTool(t, "rpm")
	history := []struct {
		describe string
		count    int
	}{
		{"1a2b3c4", 5},
		{"1a2b3c4-dirty", 5},
		{"9f8e7d6", 12},
		{"v0.1.0-rc1", 0},
		{"v0.1.0-rc1-3-g5555555", 0},
		{"v0.1.0", 0},
		{"v0.1.0-dirty", 0},
		{"v0.1.0-1-gabcdef0", 0},
		{"v0.1.0-1-gabcdef0-dirty", 0},
		{"v0.1.0-2-g0123456", 0},
		{"v0.1.0-10-g7777777", 0},
		{"v0.1.1", 0},
		{"v0.10.0", 0},
	}
	var versions []string
	for _, h := range history {
		versions = append(versions, version(t, h.describe, h.count))
	}
	assertAscending(t, versions)

	// Why the scheme exists: what nFPM makes of a raw describe sorts before
	// the tag it follows.
	if got := rpmCompare(t, [][2]string{{"1.2.3~4-gabc", "1.2.3"}}); got[0] != -1 {
		t.Errorf("rpm: 1.2.3~4-gabc vs 1.2.3 = %d, want -1 (the raw form sorts first)", got[0])
	}
}

func assertAscending(t *testing.T, versions []string) {
	t.Helper()
	var pairs [][2]string
	for i := range versions {
		for j := i + 1; j < len(versions); j++ {
			pairs = append(pairs, [2]string{versions[i], versions[j]})
		}
	}
	rpmResults := rpmCompare(t, pairs)
	for k, p := range pairs {
		// As packaged: nFPM appends the release "-1" to the deb version.
		if _, code := runCode(t, nil, "dpkg", "--compare-versions", p[0]+"-1", "lt", p[1]+"-1"); code != 0 {
			t.Errorf("dpkg: %s is not older than %s", p[0], p[1])
		}
		if rpmResults[k] != -1 {
			t.Errorf("rpm.vercmp(%s, %s) = %d, want -1", p[0], p[1], rpmResults[k])
		}
	}
	if len(pairs) == 0 {
		t.Fatal("no versions to compare")
	}
}

// rpmCompare asks rpm itself (rpm.vercmp, what rpm -U uses for the version
// field) for each pair, in one rpm run: -1, 0 or 1.
func rpmCompare(t *testing.T, pairs [][2]string) []int {
	t.Helper()
	var lua strings.Builder
	for _, p := range pairs {
		fmt.Fprintf(&lua, "print(rpm.vercmp(%q, %q) .. \" \") ", p[0], p[1])
	}
	out := run(t, nil, "rpm", "--eval", "%{lua: "+lua.String()+"}")
	fields := strings.Fields(out)
	if len(fields) != len(pairs) {
		t.Fatalf("rpm --eval printed %q for %d pairs", out, len(pairs))
	}
	res := make([]int, len(fields))
	for i, f := range fields {
		if _, err := fmt.Sscan(f, &res[i]); err != nil {
			t.Fatalf("rpm.vercmp printed %q", f)
		}
	}
	return res
}

// TestVersionOverride: build.sh takes MAILCHECKS_VERSION (a tree without git
// history) only when both formats accept it, and refuses before building.
func TestVersionOverride(t *testing.T) {
	for _, bad := range []string{"v1.2.3", "1.2.3-4-gabc", "1.2 3"} {
		out, code := runCode(t, []string{"MAILCHECKS_VERSION=" + bad}, "./build.sh", t.TempDir())
		if code == 0 || !strings.Contains(out, "build.sh: version") {
			t.Errorf("MAILCHECKS_VERSION=%q: exit %d, want a refusal:\n%s", bad, code, out)
		}
	}
}
