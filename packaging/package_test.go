package packaging

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// debFiles lists the regular files of a .deb, as absolute paths.
func debFiles(t *testing.T, deb string) []string {
	t.Helper()
	var files []string
	for _, line := range strings.Split(run(t, nil, "dpkg-deb", "--contents", deb), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && strings.HasPrefix(f[0], "-") {
			files = append(files, strings.TrimPrefix(f[5], "."))
		}
	}
	sort.Strings(files)
	return files
}

// rpmFiles lists the files of an .rpm (rpm -qpl), sorted.
func rpmFiles(t *testing.T, rpm string) []string {
	t.Helper()
	files := strings.Fields(run(t, nil, "rpm", "-qpl", rpm))
	sort.Strings(files)
	return files
}

// TestPackageContents: both packages carry the plugins, the wrappers, every
// contrib file (as documentation, nowhere it would be active), README and
// license; the .rpm holds the same files as the .deb under the RPM paths.
func TestPackageContents(t *testing.T) {
	requireTool(t, "dpkg-deb")
	requireTool(t, "rpm")
	p := buildPackages(t)
	deb := debFiles(t, p.deb)

	want := map[string]bool{
		"/usr/share/doc/mailchecks/README.md": true,
		"/usr/share/doc/mailchecks/copyright": true, // Debian's place for the license
	}
	for _, name := range append(plugins, "fail2ban-client-readonly", "firewall-cmd-sudo") {
		want[debPluginDir+"/"+name] = true
	}
	// Every deployment file in contrib/ (not the Go tests) is shipped; the
	// wrappers sudo runs go to the plugin directory instead.
	err := filepath.WalkDir("../contrib", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".go") {
			return err
		}
		rel, _ := filepath.Rel("../contrib", path)
		if name := filepath.Base(rel); name == "fail2ban-client-readonly" || name == "firewall-cmd-sudo" {
			return nil
		}
		want["/usr/share/mailchecks/"+rel] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(deb, "\n"); got != strings.Join(sortedKeys(want), "\n") {
		t.Errorf(".deb files:\n%s\nwant:\n%s", got, strings.Join(sortedKeys(want), "\n"))
	}
	for _, f := range deb {
		for _, active := range []string{"/etc/", "/usr/share/icinga2/", "/lib/systemd/", "/usr/lib/systemd/", "/usr/share/polkit-1/"} {
			if strings.HasPrefix(f, active) {
				t.Errorf("%s would be active on install: deployment files belong in /usr/share/mailchecks", f)
			}
		}
	}

	// The .rpm: the same files, RPM paths.
	var wantRPM []string
	for _, f := range deb {
		f = strings.Replace(f, debPluginDir+"/", rpmPluginDir+"/", 1)
		if f == "/usr/share/doc/mailchecks/copyright" {
			f = "/usr/share/licenses/mailchecks/LICENSE"
		}
		wantRPM = append(wantRPM, f)
	}
	sort.Strings(wantRPM)
	if got := rpmFiles(t, p.rpm); strings.Join(got, "\n") != strings.Join(wantRPM, "\n") {
		t.Errorf("rpm -qpl:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantRPM, "\n"))
	}

	// No maintainer scripts: installing activates nothing.
	control := run(t, nil, "dpkg-deb", "--info", p.deb)
	for _, script := range []string{"preinst", "postinst", "prerm", "postrm", "conffiles"} {
		if strings.Contains(control, " "+script+" ") {
			t.Errorf(".deb has a %s:\n%s", script, control)
		}
	}
	if scripts := run(t, nil, "rpm", "-qp", "--scripts", p.rpm); strings.TrimSpace(scripts) != "" {
		t.Errorf(".rpm has scripts:\n%s", scripts)
	}
}

// TestPackageMetadata: version, relations and description as the operator's
// package manager shows them.
func TestPackageMetadata(t *testing.T) {
	requireTool(t, "dpkg-deb")
	requireTool(t, "rpm")
	p := buildPackages(t)
	field := func(name string) string {
		return strings.TrimSpace(run(t, nil, "dpkg-deb", "--field", p.deb, name))
	}
	for name, want := range map[string]string{
		"Package": "mailchecks", "Version": p.version + "-1", "Recommends": "sudo, monitoring-plugins-common",
		"Homepage": "https://github.com/mailhost-checks/mailchecks",
	} {
		if got := field(name); got != want {
			t.Errorf("deb %s = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"Maintainer", "Description", "Suggests"} {
		if field(name) == "" {
			t.Errorf("deb has no %s", name)
		}
	}
	q := run(t, nil, "rpm", "-qp", "--qf", "%{NAME}|%{VERSION}|%{RELEASE}|%{LICENSE}|%{URL}|%{SUMMARY}", p.rpm)
	if want := "mailchecks|" + p.version + "|1|MIT|https://github.com/mailhost-checks/mailchecks|Nagios/Icinga plugins for a Postfix+Dovecot mail host"; q != want {
		t.Errorf("rpm metadata %q, want %q", q, want)
	}
	if rec := run(t, nil, "rpm", "-qp", "--recommends", p.rpm); strings.TrimSpace(rec) != "sudo" {
		t.Errorf("rpm Recommends %q, want sudo", rec)
	}
}

// TestPackagedBinaries: the plugins in the .deb are static, built with
// -trimpath and without cgo.
func TestPackagedBinaries(t *testing.T) {
	requireTool(t, "dpkg-deb")
	p := buildPackages(t)
	dir := t.TempDir()
	run(t, nil, "dpkg-deb", "--extract", p.deb, dir)
	for _, name := range plugins {
		path := filepath.Join(dir, debPluginDir, name)
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Errorf("%s has a dynamic loader: not static", name)
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("%s links %v: not static", name, libs)
		}
		f.Close()
		info, err := buildinfo.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if settings["-trimpath"] != "true" || settings["CGO_ENABLED"] != "0" {
			t.Errorf("%s built with -trimpath=%q CGO_ENABLED=%q, want true and 0", name, settings["-trimpath"], settings["CGO_ENABLED"])
		}
		// (-trimpath keeps -ldflags out of the build info: the version
		// -V prints is checked on the installed .deb, deb_install_test.go.)
	}
	// The rpm's copies of the deployment files name the RPM plugin directory.
	rpmSudoers := run(t, nil, "sh", "-c", `rpm2cpio "$0" | cpio --quiet -i --to-stdout /usr/share/mailchecks/sudoers.d/mailchecks`, p.rpm)
	if !strings.Contains(rpmSudoers, rpmPluginDir+"/fail2ban-client-readonly") || strings.Contains(rpmSudoers, debPluginDir) {
		t.Errorf("the rpm's sudoers file does not name %s throughout:\n%s", rpmPluginDir, rpmSudoers)
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestRPMInstallsIntoScratchRoot installs the .rpm with rpm itself into an
// empty root (its own rpmdb, --nodeps: the root has no other packages), runs
// each plugin from the RPM plugin directory, verifies the installed files
// (rpm -V) and removes the package: nothing but rpm's database is left.
func TestRPMInstallsIntoScratchRoot(t *testing.T) {
	requireTool(t, "rpm")
	p := buildPackages(t)
	root := t.TempDir()
	rpm := func(args ...string) string {
		t.Helper()
		return run(t, nil, append([]string{"rpm", "--root=" + root}, args...)...)
	}
	rpm("--initdb")
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
	rpm("-V", "mailchecks")
	rpm("-e", "mailchecks")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if rel, _ := filepath.Rel(root, path); !strings.HasPrefix(rel, "root/.rpmdb/") && !strings.HasPrefix(rel, "var/lib/rpm/") {
			t.Errorf("rpm -e left %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
