package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// exercised says, for every shown command that is not a plugin invocation
// (those run in TestShownPluginCommandsParse), what runs it: a test (named
// first; TestShownCommandsAreExercised checks that it exists), `make demo`
// (tools/demo), or why it cannot run here. A command is matched by the
// longest prefix of its text (first word without its directory).
var exercised = []struct{ prefix, by string }{
	{"make demo", "self: the Makefile target (tools/demo) the README announces"},
	{"make test", "self: the Makefile target CI runs"},
	{"make build", "TestMakeInstall (packaging): the build, into a scratch BINS"},
	{"make install", "TestMakeInstall (packaging): both PREFIXes into a DESTDIR"},
	{"apt install ./mailchecks_", "TestDebInstallsAndWorks (packaging): dpkg -i of the same .deb in a private mount namespace; apt itself would install into the host"},
	{"dnf install ./mailchecks-", "not run here: Debian has no dnf; TestRPMInstallsIntoScratchRoot (packaging) installs the same .rpm with rpm into a scratch root"},
	{"dnf install acl", "not run here: Debian has no dnf; acl is the package name on Fedora/RHEL as on Debian"},
	{"apt-get install acl", "TestFirewalldACLLetsGroupRead (contrib) needs setfacl, which make deps (scripts/deps.sh) installs from acl"},
	{"groupadd --system mailchecks", "TestSudoersAllowOnlyWhatThePluginsRun (contrib): mailchecksGroup runs it with the real groupadd on copies of the account files"},
	{"usermod -aG mailchecks nagios", "TestSudoersAllowOnlyWhatThePluginsRun (contrib): mailchecksGroup, as groupadd"},
	{"usermod -aG mailchecks nrpe", "not run here: Fedora's NRPE user; the same command as for nagios, which TestSudoersAllowOnlyWhatThePluginsRun runs"},
	{"usermod -aG mailchecks icinga", "not run here: Fedora's Icinga 2 user; the same command as for nagios, which TestSudoersAllowOnlyWhatThePluginsRun runs"},
	{"systemctl restart", "not run here: it restarts the host's daemons; the tests start their own (TestNRPEPassesResultsThrough: nrpe; TestFail2banSocketACLDropIn: the drop-in's command after fail2ban starts)"},
	{"systemctl daemon-reload", "not run here: the host's systemd; TestFail2banDropInLoads (contrib) loads the unit with the drop-in in systemd-analyze verify"},
	{"install -D -m 0644 mailchecks-socket-acl.conf", "TestFail2banDropInLoads (contrib): the drop-in beside the unit, as installed; TestFail2banSocketACLDropIn runs its command"},
	{"install -m 0644 contrib/polkit/49-mailchecks-firewalld.rules /etc/polkit-1/rules.d/", "TestPolkitRuleLetsNagiosReadFirewalld (contrib): the rule in a rules.d bound over /etc/polkit-1/rules.d for a real polkitd"},
	{"install -m 0440 /usr/share/mailchecks/sudoers.d/mailchecks /etc/sudoers.d/mailchecks", "TestSudoersAllowOnlyWhatThePluginsRun (contrib): the file at 0440 in a sudoers.d bound over /etc/sudoers.d; TestPackagedContribFiles: the packages ship it at that path"},
	{"install -m 0440 -o root -g root mailchecks /etc/sudoers.d/mailchecks", "TestSudoersAllowOnlyWhatThePluginsRun (contrib): the file at 0440 in a sudoers.d bound over /etc/sudoers.d"},
	{"visudo -cf", "TestSudoersSyntax (contrib)"},
	{"setfacl -R -m g:mailchecks:rX /etc/firewalld", "TestFirewalldACLLetsGroupRead (contrib): the line as written, on a root-only copy of the tree"},
	{"setfacl -R -d -m g:mailchecks:rX /etc/firewalld", "TestFirewalldACLLetsGroupRead (contrib): the line as written; a file created later is readable only through it"},
	{"cp contrib/nrpe/mailchecks.cfg /etc/nagios/nrpe.d/", "TestNRPEPassesResultsThrough (contrib): the file's command lines in a real nrpe (the copy into the host's /etc is not made)"},
	{"cp contrib/nrpe/mailchecks-fedora.cfg /etc/nrpe.d/mailchecks.cfg", "TestNRPEFedoraFileMatches (contrib): the same commands as mailchecks.cfg, under Fedora's plugin directory; not run by an nrpe here (Debian's nrpe reads /etc/nagios)"},
	{"check_nrpe -H", "TestNRPEPassesResultsThrough (contrib): the real check_nrpe against a real nrpe"},
	{"ssh-keyscan -p", "make demo: tools/demo/ssh.go appends the sandbox sshd's key with ssh-keyscan, as shown"},
	{"firewall-cmd --zone=public --list-all", "TestSudoersAllowOnlyWhatThePluginsRun (contrib): the sudoers rule for exactly this command line"},
}

// TestShownCommandsAreExercised: every shown command that is not a plugin
// invocation has an entry in exercised, every entry is still used, and
// every test an entry names exists.
func TestShownCommandsAreExercised(t *testing.T) {
	used := map[string]bool{}
	for _, s := range shownCommands(t) {
		if len(s.argv) == 0 || isPlugin(s.argv[0]) {
			continue
		}
		text := strings.Join(append([]string{filepath.Base(s.argv[0])}, s.argv[1:]...), " ")
		best := ""
		for _, e := range exercised {
			if strings.HasPrefix(text, e.prefix) && len(e.prefix) > len(best) {
				best = e.prefix
			}
		}
		if best == "" {
			t.Errorf("%s: %q is shown but nothing runs it: add a test (or a make demo scene) and an entry in exercised (docs/commands_coverage_test.go), or fix the command", s.where, s.text)
			continue
		}
		used[best] = true
	}
	tests := testFunctions(t)
	for _, e := range exercised {
		if !used[e.prefix] {
			t.Errorf("exercised has %q, which no page or contrib file shows any more: drop it", e.prefix)
		}
		for _, name := range testName.FindAllString(e.by, -1) {
			if !tests[name] {
				t.Errorf("exercised: %q names %s, which no _test.go file defines", e.prefix, name)
			}
		}
	}
}

var testName = regexp.MustCompile(`\bTest[A-Z][A-Za-z0-9]*\b`)

// testFunctions are the names of every func TestX in the module.
func testFunctions(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func (Test[A-Z][A-Za-z0-9]*)\(`)
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			names[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
