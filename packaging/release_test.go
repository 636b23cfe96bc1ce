package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestReleaseVersionsAgree: VERSION, CHANGELOG.md's newest release, the
// version the packages carry and their changelogs' newest entries agree
// (what -V prints is checked on the installed .deb, deb_install_test.go).
func TestReleaseVersionsAgree(t *testing.T) {
	requireTool(t, "dpkg-deb")
	requireTool(t, "rpm")
	b, err := os.ReadFile("../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	release := strings.TrimSpace(string(b))
	// tools/changelog refuses a VERSION without its CHANGELOG.md section.
	run(t, nil, "go", "run", "../tools/changelog", "-changelog", "../CHANGELOG.md", "-version-file", "../VERSION")
	if !strings.Contains(readFileT(t, "../CHANGELOG.md"), "\n## ["+release+"] - ") {
		t.Errorf("CHANGELOG.md has no section for VERSION %s", release)
	}
	p := buildPackages(t)
	if p.version != release && !strings.HasPrefix(p.version, release+"+") {
		t.Errorf("package version %s is neither VERSION %s nor a build after it", p.version, release)
	}
	dir := t.TempDir()
	run(t, nil, "dpkg-deb", "--extract", p.deb, dir)
	debLog := run(t, nil, "sh", "-c", `zcat "$0"`, filepath.Join(dir, "usr/share/doc/mailchecks/changelog.Debian.gz"))
	if first, _, _ := strings.Cut(debLog, "\n"); !strings.HasPrefix(first, "mailchecks ("+p.version+"-1) ") {
		t.Errorf("changelog.Debian.gz starts %q, want the package version %s-1", first, p.version)
	}
	if !strings.Contains(debLog, "mailchecks ("+release+"-1) ") {
		t.Errorf("changelog.Debian.gz has no entry for %s:\n%s", release, debLog)
	}
	upstream := run(t, nil, "sh", "-c", `zcat "$0"`, filepath.Join(dir, "usr/share/doc/mailchecks/changelog.gz"))
	if upstream != readFileT(t, "../CHANGELOG.md") {
		t.Error("changelog.gz is not CHANGELOG.md")
	}
	rpmLog := run(t, nil, "rpm", "-qp", "--changelog", p.rpm)
	if !strings.Contains(rpmLog, "> - "+release+"-1\n") {
		t.Errorf("rpm %%changelog has no entry for %s-1:\n%s", release, rpmLog)
	}
}

// TestManPages: each package carries a man page per plugin, generated from
// its flags (every long flag of --help is in it), that man renders without
// a warning.
func TestManPages(t *testing.T) {
	requireTool(t, "dpkg-deb")
	requireTool(t, "man")
	p := buildPackages(t)
	dir := t.TempDir()
	run(t, nil, "dpkg-deb", "--extract", p.deb, dir)
	rpmDir := rpmExtract(t, p.rpm)
	for _, name := range plugins {
		page := filepath.Join(dir, "usr/share/man/man1", name+".1.gz")
		if _, err := os.Stat(filepath.Join(rpmDir, "usr/share/man/man1", name+".1.gz")); err != nil {
			t.Errorf("the .rpm has no man page for %s: %v", name, err)
		}
		text, code := runCode(t, []string{"MANWIDTH=80", "LC_ALL=C.UTF-8"}, "sh", "-c", `man --warnings -l "$0" 2>&1 >/dev/null; man -l "$0"`, page)
		if code != 0 || strings.Contains(text, "warning:") {
			t.Errorf("man -l %s: exit %d\n%s", page, code, text)
		}
		roff := run(t, nil, "sh", "-c", `zcat "$0"`, page)
		if !strings.Contains(text, strings.ToUpper(name)+"(1)") || !strings.Contains(roff, strings.ReplaceAll(p.version, "-", `\-`)) {
			t.Errorf("%s's man page lacks its name or version %s:\n%s", name, p.version, text)
		}
		// SEE ALSO names the plugin's docs page and the README: both
		// packages must carry every path it names.
		_, seeAlso, _ := strings.Cut(roff, ".SH SEE ALSO\n")
		for _, word := range strings.FieldsFunc(strings.ReplaceAll(seeAlso, `\-`, "-"), func(r rune) bool { return r == ' ' || r == ',' || r == '\n' }) {
			if !strings.HasPrefix(word, "/usr/share/") {
				continue
			}
			for _, root := range []string{dir, rpmDir} {
				if _, err := os.Stat(filepath.Join(root, word)); err != nil {
					t.Errorf("%s's man page names %s under SEE ALSO, which the package lacks: %v", name, word, err)
				}
			}
		}
		if !strings.Contains(seeAlso, "/usr/share/doc/mailchecks/docs/"+name+".md") {
			t.Errorf("%s's man page does not name its docs page under SEE ALSO:\n%s", name, seeAlso)
		}
		help := run(t, nil, filepath.Join(dir, debPluginDir, name), "--help")
		for _, word := range strings.Fields(help) {
			if flag, _, _ := strings.Cut(strings.TrimSuffix(word, ","), "="); strings.HasPrefix(flag, "--") && len(flag) > 2 {
				if !strings.Contains(text, flag) {
					t.Errorf("%s --help shows %s, its man page does not", name, flag)
				}
			}
		}
	}
}

// TestPackagesLintClean: lintian and rpmlint (packaging/lint.sh, rpmlint in
// a private mount namespace) report no error and no warning; the only
// override is for the static Go binaries.
func TestPackagesLintClean(t *testing.T) {
	sandbox.FailUnlessRoot(t, "mount namespaces, dpkg -i")
	requireTool(t, "lintian")
	requireTool(t, "rpmlint")
	requireTool(t, "unshare")
	p := buildPackages(t)
	out, code := runCode(t, nil, "./lint.sh", p.deb, p.rpm)
	t.Log(out)
	if code != 0 {
		t.Errorf("lint.sh: exit %d (errors or warnings above)", code)
	}
	for _, must := range []string{"== lintian", "0 errors, 0 warnings"} {
		if !strings.Contains(out, must) {
			t.Errorf("lint.sh output lacks %q: did both linters run?", must)
		}
	}
	override := readFileT(t, "lintian-overrides")
	for _, line := range strings.Split(override, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "mailchecks: statically-linked-binary [usr/lib/nagios/plugins/check_") {
			t.Errorf("lintian override for something other than a static plugin: %q", line)
		}
	}
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBashCompletion: each package's completion script, sourced by bash,
// completes the plugin's flags (--extra-opts among them) and an enum's
// choices.
func TestBashCompletion(t *testing.T) {
	requireTool(t, "dpkg-deb")
	requireTool(t, "bash")
	p := buildPackages(t)
	dir := t.TempDir()
	run(t, nil, "dpkg-deb", "--extract", p.deb, dir)
	complete := func(script, fn string, words ...string) string {
		t.Helper()
		argv := append([]string{"bash", "-c", `source "$0"; COMP_WORDS=("${@:2}"); COMP_CWORD=$(($# - 2)); "$1"; echo "${COMPREPLY[*]}"`, script, fn}, words...)
		return strings.TrimSpace(run(t, nil, argv...))
	}
	for _, name := range plugins {
		script := filepath.Join(dir, "usr/share/bash-completion/completions", name)
		if got := complete(script, "_"+name, name, "--extra"); got != "--extra-opts" {
			t.Errorf("%s --extra<TAB>: %q, want --extra-opts", name, got)
		}
	}
	script := filepath.Join(dir, "usr/share/bash-completion/completions/check_firewalld_mail")
	if got := complete(script, "_check_firewalld_mail", "check_firewalld_mail", "--drift", "c"); got != "critical" {
		t.Errorf("check_firewalld_mail --drift c<TAB>: %q, want critical", got)
	}
}
