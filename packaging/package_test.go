package packaging

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"path/filepath"
	"regexp"
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

// TestPackageContents: both packages carry the plugins, the wrappers, every
// contrib file (as documentation, nowhere it would be active), README, the
// docs/ pages it links to and license; the .rpm holds the same files as the .deb under the RPM paths.
func TestPackageContents(t *testing.T) {
	requireTool(t, "dpkg-deb")
	requireTool(t, "rpm")
	p := buildPackages(t)
	deb := debFiles(t, p.deb)

	want := map[string]bool{
		"/usr/share/doc/mailchecks/README.md":           true,
		"/usr/share/doc/mailchecks/copyright":           true, // Debian's place for the license
		"/usr/share/doc/mailchecks/changelog.gz":        true, // CHANGELOG.md
		"/usr/share/doc/mailchecks/changelog.Debian.gz": true, // the same, as a Debian changelog
		"/usr/share/lintian/overrides/mailchecks":       true, // static binaries only
	}
	for inPackage := range docPages(t) {
		want[inPackage] = true
	}
	for _, name := range append(plugins, "fail2ban-client-readonly", "firewall-cmd-sudo") {
		want[debPluginDir+"/"+name] = true
	}
	for _, name := range plugins {
		want["/usr/share/man/man1/"+name+".1.gz"] = true
		want["/usr/share/bash-completion/completions/"+name] = true
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
		want[contribInPackage(rel)] = true
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

	// The .rpm: the same files, RPM paths, and the directories it creates.
	var wantRPM []string
	for _, f := range deb {
		f = strings.Replace(f, debPluginDir+"/", rpmPluginDir+"/", 1)
		switch f {
		case "/usr/share/doc/mailchecks/copyright":
			f = "/usr/share/licenses/mailchecks/LICENSE"
		case "/usr/share/doc/mailchecks/changelog.gz":
			f = "/usr/share/doc/mailchecks/CHANGELOG.md" // %doc; the %changelog is in the header
		case "/usr/share/doc/mailchecks/changelog.Debian.gz", "/usr/share/lintian/overrides/mailchecks":
			continue // Debian's only
		}
		wantRPM = append(wantRPM, f)
	}
	sort.Strings(wantRPM)
	files, dirs := rpmEntries(t, p.rpm)
	if strings.Join(files, "\n") != strings.Join(wantRPM, "\n") {
		t.Errorf("rpm -qpl files:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(wantRPM, "\n"))
	}
	if want := rpmOwnedDirs(wantRPM); strings.Join(dirs, "\n") != strings.Join(want, "\n") {
		t.Errorf("rpm owns the directories:\n%s\nwant (not %s: nagios-common owns it):\n%s",
			strings.Join(dirs, "\n"), rpmPluginDir, strings.Join(want, "\n"))
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
	// Requires: what the package declares (rpmlib() features aside): the
	// plugin directory's owner and the wrappers' shell, nothing else (the
	// plugins are static).
	var requires []string
	for _, r := range strings.Split(strings.TrimSpace(run(t, nil, "rpm", "-qp", "--requires", p.rpm)), "\n") {
		if r = strings.TrimSpace(r); r != "" && !strings.HasPrefix(r, "rpmlib(") {
			requires = append(requires, r)
		}
	}
	sort.Strings(requires)
	if got, want := strings.Join(requires, ", "), "/bin/sh, nagios-common"; got != want {
		t.Errorf("rpm Requires %q, want %q", got, want)
	}
	// README as %doc and LICENSE as %license: rpmlint's no-documentation
	// and not-listed-as-documentation, and --excludedocs keeps the license.
	var wantDocs []string
	for _, name := range plugins {
		wantDocs = append(wantDocs, "/usr/share/man/man1/"+name+".1.gz")
	}
	wantDocs = append(wantDocs, "/usr/share/doc/mailchecks/CHANGELOG.md", "/usr/share/doc/mailchecks/README.md", "/usr/share/doc/mailchecks/polkit-README.md")
	for inPackage := range docPages(t) {
		wantDocs = append(wantDocs, inPackage)
	}
	sort.Strings(wantDocs)
	if docs := strings.Fields(run(t, nil, "rpm", "-qpd", p.rpm)); strings.Join(docs, " ") != strings.Join(wantDocs, " ") {
		t.Errorf("rpm -qpd (documentation) = %q, want %q", docs, wantDocs)
	}
	if lic := strings.TrimSpace(run(t, nil, "rpm", "-qpL", p.rpm)); lic != "/usr/share/licenses/mailchecks/LICENSE" {
		t.Errorf("rpm -qpL (license) = %q, want /usr/share/licenses/mailchecks/LICENSE", lic)
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
}

// docPages are the documentation pages README.md links to (docs/*.md), by
// their path in both packages: under /usr/share/doc/mailchecks/docs/, so the
// README's relative links resolve where it is installed.
func docPages(t *testing.T) map[string]string {
	t.Helper()
	found, err := filepath.Glob("../docs/*.md")
	if err != nil || len(found) < 10 {
		t.Fatalf("docs/*.md: %d pages (%v), want the README's pages", len(found), err)
	}
	pages := map[string]string{}
	for _, inTree := range found {
		pages["/usr/share/doc/mailchecks/docs/"+filepath.Base(inTree)] = inTree
	}
	return pages
}

// TestPackagedContribFiles: both packages ship contrib/, the README, its
// docs/ pages and the
// license exactly as they are in the tree (no per-format rewriting, so the
// README's "Debian: /usr/lib/…, Fedora/RHEL: /usr/lib64/…" stays true), and
// the copies in the .rpm are right on Fedora/RHEL: the sudoers file passes
// visudo and allows each command under /usr/lib64/nagios/plugins as well,
// to the group mailchecks (Fedora's NRPE runs as nrpe, Icinga 2 as icinga);
// the polkit rule and the socket ACL name the group; the NRPE file for
// Fedora names only the RPM plugin directory.
func TestPackagedContribFiles(t *testing.T) {
	requireTool(t, "dpkg-deb")
	const visudo = "/usr/sbin/visudo"
	requireTool(t, visudo)
	p := buildPackages(t)
	debDir := t.TempDir()
	run(t, nil, "dpkg-deb", "--extract", p.deb, debDir)
	rpmDir := rpmExtract(t, p.rpm)

	// package path (after the plugin directory) → file in the tree
	shipped := map[string]string{
		"/usr/share/doc/mailchecks/README.md": "../README.md",
	}
	for inPackage, inTree := range docPages(t) {
		shipped[inPackage] = inTree
	}
	err := filepath.WalkDir("../contrib", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".go") {
			return err
		}
		rel, _ := filepath.Rel("../contrib", path)
		if name := filepath.Base(rel); name == "fail2ban-client-readonly" || name == "firewall-cmd-sudo" {
			shipped["PLUGINDIR/"+name] = path
		} else {
			shipped[contribInPackage(rel)] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	same := func(format, dir, pluginDir, license string) {
		t.Helper()
		files := map[string]string{license: "../LICENSE"}
		for k, v := range shipped {
			files[strings.Replace(k, "PLUGINDIR", pluginDir, 1)] = v
		}
		for inPackage, inTree := range files {
			want, err := os.ReadFile(inTree)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, inPackage))
			if err != nil {
				t.Errorf("%s: %v", format, err)
				continue
			}
			if string(got) != string(want) {
				t.Errorf("the %s's %s differs from %s: contrib files must ship unchanged", format, inPackage, inTree)
			}
		}
	}
	same(".deb", debDir, debPluginDir, "/usr/share/doc/mailchecks/copyright")
	same(".rpm", rpmDir, rpmPluginDir, "/usr/share/licenses/mailchecks/LICENSE")

	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(rpmDir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// sudoers: valid, granted to the group, every command line that names
	// Debian's plugin directory also present with Fedora's.
	sudoers := filepath.Join(rpmDir, "usr/share/mailchecks/sudoers.d/mailchecks")
	if out, code := runCode(t, nil, visudo, "-cf", sudoers); code != 0 {
		t.Errorf("visudo -cf on the rpm's sudoers file: exit %d\n%s", code, out)
	}
	text := read("usr/share/mailchecks/sudoers.d/mailchecks")
	commands := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "\t/") {
			commands[strings.TrimSuffix(strings.TrimSpace(line), ", \\")] = true
		}
	}
	n := 0
	for c := range commands {
		if strings.HasPrefix(c, debPluginDir+"/") {
			n++
			if fedora := rpmPluginDir + strings.TrimPrefix(c, debPluginDir); !commands[fedora] {
				t.Errorf("sudoers allows %q but not %q (Fedora/RHEL)", c, fedora)
			}
		}
	}
	if n < 4 {
		t.Errorf("sudoers names only %d commands under %s, want the wrapper's two and the plugin's two:\n%s", n, debPluginDir, text)
	}
	if !strings.Contains(text, "\n%mailchecks ALL = (root) NOPASSWD: ") || regexp.MustCompile(`(?m)^(nagios|nrpe|icinga)\s`).MatchString(text) {
		t.Errorf("sudoers must grant the group mailchecks, not one distribution's user:\n%s", text)
	}
	for _, user := range []string{"usermod -aG mailchecks nagios", "usermod -aG mailchecks nrpe", "usermod -aG mailchecks icinga"} {
		if !strings.Contains(text, user) {
			t.Errorf("sudoers does not say %q", user)
		}
	}
	if rule := read("usr/share/mailchecks/polkit/49-mailchecks-firewalld.rules"); !strings.Contains(rule, `subject.isInGroup("mailchecks")`) || strings.Contains(rule, "subject.user") {
		t.Errorf("the polkit rule must grant the group mailchecks:\n%s", rule)
	}
	if dropIn := read("usr/share/mailchecks/systemd/fail2ban.service.d/mailchecks-socket-acl.conf"); !strings.Contains(dropIn, "setfacl -m g:mailchecks:rw /run/fail2ban/fail2ban.sock") {
		t.Errorf("the socket ACL must name the group mailchecks:\n%s", dropIn)
	}
	// NRPE: a command line names one path, so Fedora has its own file.
	nrpe := read("usr/share/mailchecks/nrpe/mailchecks-fedora.cfg")
	lines := regexp.MustCompile(`(?m)^command\[.*$`).FindAllString(nrpe, -1)
	if len(lines) != len(plugins) {
		t.Errorf("mailchecks-fedora.cfg has %d commands, want %d", len(lines), len(plugins))
	}
	for _, l := range lines {
		_, cmd, _ := strings.Cut(l, "=")
		if !strings.HasPrefix(cmd, rpmPluginDir+"/check_") || strings.Contains(l, debPluginDir) {
			t.Errorf("mailchecks-fedora.cfg: %q must run the plugin from %s", l, rpmPluginDir)
		}
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

// contribInPackage is where a contrib file (path below contrib/) is
// shipped: deployment files under /usr/share/mailchecks, the polkit README
// as documentation (lintian package-contains-documentation-outside-usr-share-doc).
func contribInPackage(rel string) string {
	if rel == "polkit/README.md" {
		return "/usr/share/doc/mailchecks/polkit-README.md"
	}
	return "/usr/share/mailchecks/" + rel
}
