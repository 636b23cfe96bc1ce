package packaging

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// rpmEntries lists what an .rpm holds (rpm -qp), sorted: its regular files
// and the directories it owns.
func rpmEntries(t *testing.T, rpm string) (files, dirs []string) {
	t.Helper()
	for _, line := range strings.Split(run(t, nil, "rpm", "-qp", "--qf", "[%{FILEMODES:perms} %{FILENAMES}\n]", rpm), "\n") {
		mode, name, ok := strings.Cut(line, " ")
		switch {
		case !ok:
		case strings.HasPrefix(mode, "d"):
			dirs = append(dirs, name)
		default:
			files = append(files, name)
		}
	}
	sort.Strings(files)
	sort.Strings(dirs)
	return files, dirs
}

// rpmOwnedDirs is what the .rpm must own for its files: every directory it
// creates below /usr/share, so that rpm -e removes them, but not the plugin
// directory (nagios-common's) nor /usr/share/doc, /usr/share/licenses,
// /usr/share/man/man1 (filesystem's).
func rpmOwnedDirs(files []string) []string {
	shared := map[string]bool{"/usr/share": true, "/usr/share/doc": true, "/usr/share/licenses": true,
		"/usr/share/man": true, "/usr/share/man/man1": true,
		"/usr/share/bash-completion": true, "/usr/share/bash-completion/completions": true}
	owned := map[string]bool{}
	for _, f := range files {
		if !strings.HasPrefix(f, "/usr/share/") {
			continue
		}
		for d := filepath.Dir(f); !shared[d]; d = filepath.Dir(d) {
			owned[d] = true
		}
	}
	return sortedKeys(owned)
}

// TestRPMInstallsIntoScratchRoot installs the .rpm with rpm itself into an
// empty root (its own rpmdb, --nodeps: the root has no other packages), runs
// each plugin from the RPM plugin directory, verifies the installed files and
// directories (rpm -V) and removes the package: the tree is as before but
// for rpm's database and the parents rpm created for paths the package does
// not own (on a real system the filesystem package's and nagios-common's).
func TestRPMInstallsIntoScratchRoot(t *testing.T) {
	requireTool(t, "rpm")
	p := buildPackages(t)
	root := t.TempDir()
	rpm := func(args ...string) string {
		t.Helper()
		return run(t, nil, append([]string{"rpm", "--root=" + root}, args...)...)
	}
	rpm("--initdb")
	dbPath := strings.TrimPrefix(strings.TrimSpace(rpm("--eval", "%{_dbpath}")), "/")
	before := treeEntries(t, root)
	rpm("-i", "--nodeps", p.rpm)
	if q := rpm("-q", "--qf", "%{VERSION}-%{RELEASE}", "mailchecks"); q != p.version+"-1" {
		t.Errorf("rpm -q: %q, want %s-1", q, p.version)
	}
	for _, name := range plugins {
		out := run(t, nil, filepath.Join(root, rpmPluginDir, name), "-V")
		if strings.TrimSpace(out) != name+" "+p.version {
			t.Errorf("installed %s -V printed %q, want %q", name, out, name+" "+p.version)
		}
	}
	files, dirs := rpmEntries(t, p.rpm)
	for _, f := range append(files, dirs...) {
		if _, err := os.Lstat(filepath.Join(root, f)); err != nil {
			t.Errorf("after rpm -i: %v", err)
		}
	}
	// -V checks every file and owned directory (mode, owner, digest, mtime);
	// --nodeps: the scratch root has no nagios-common or /bin/sh.
	if out := rpm("-V", "--nodeps", "mailchecks"); strings.TrimSpace(out) != "" {
		t.Errorf("rpm -V mailchecks:\n%s", out)
	}

	rpm("-e", "mailchecks")
	if out, code := runCode(t, nil, "rpm", "--root="+root, "-q", "mailchecks"); code == 0 {
		t.Errorf("rpm -q after rpm -e: %s", out)
	}
	after := treeEntries(t, root)
	// What rpm may leave: its database, and the unowned parents of the
	// package's paths (usr, usr/share, usr/share/doc, usr/share/licenses,
	// usr/lib64/nagios/plugins and its parents).
	parents := map[string]bool{}
	for _, f := range files {
		for d := filepath.Dir(f); d != "/"; d = filepath.Dir(d) {
			parents[strings.TrimPrefix(d, "/")] = true
		}
	}
	for _, d := range dirs {
		delete(parents, strings.TrimPrefix(d, "/"))
	}
	if got, want := strings.Join(sortedKeys(parents), " "), "usr usr/lib64 usr/lib64/nagios usr/lib64/nagios/plugins usr/share usr/share/bash-completion usr/share/bash-completion/completions usr/share/doc usr/share/licenses usr/share/man usr/share/man/man1"; got != want {
		t.Errorf("directories the package relies on without owning them: %s, want %s", got, want)
	}
	for path, mode := range after {
		if _, ok := before[path]; ok || path == dbPath || strings.HasPrefix(path, dbPath+"/") {
			continue
		}
		if parents[path] && strings.HasPrefix(mode, "d") {
			continue
		}
		t.Errorf("rpm -e left %s (%s)", path, mode)
	}
	for path := range before {
		if _, ok := after[path]; !ok {
			t.Errorf("rpm -i/-e removed %s, which was there before", path)
		}
	}
}
