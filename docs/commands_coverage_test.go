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
	{"make package", "TestPackageContents (packaging): packaging/build.sh, the target's one command; TestVersionOverride: with MAILCHECKS_VERSION"},
	{"make deps", "TestMaskNewUnits (scripts): scripts/deps.sh, the target's one command, masking what it installs"},
	{"make go-deps", "self: the first step of make test"},
	{"make lint", "self: gofmt, go vet, staticcheck; CI runs it"},
	{"make fuzz", "self: CI and the engineer run it (minutes per target)"},
	{"make bench", "not run by a test: tools/benchmark, run by the engineer on a quiet machine (docs/benchmarks.md); its peak RSS measurement: TestPeakRSSIsTheCommandsOwn (tools/benchmark)"},
	{"make bench-go", "self: go test -bench over the packages' Benchmark functions"},
	{"make test-debian13", "self: scripts/debian13.sh make test, how this suite is run on Debian 13"},
	{"make demo-debian13", "self: scripts/debian13.sh make demo"},
	{"apt-get install", "TestMaskNewUnits (scripts): scripts/deps.sh's apt-get install"},
	{"apt install ./newer.deb", "not run here: apt would upgrade the host; TestDebInstallsAndWorks (packaging) installs with dpkg -i in a private mount namespace"},
	{"apt remove", "TestDebInstallsAndWorks (packaging): dpkg -r removes every file of ours (apt itself would change the host)"},
	{"dnf", "not run here: Debian has no dnf; TestRPMInstallsIntoScratchRoot (packaging) installs the .rpm with rpm into a scratch root"},
	{"git describe", "TestVersionScheme (packaging): packaging/version.sh's version from git describe"},
	{"go install", "not run here: fetches from the network; the tests build the same packages with go build (TestMakeInstall)"},
	{"go run ./internal/fail2ban/testdata/capture", "not run by a test: a developer tool that records a real fail2ban's replies into testdata; the replayed captures are what internal/fail2ban's tests read"},
	{"go test", "self: the test suite"},
	{"icinga2 daemon -C", "TestIcingaConfigValidates, TestIcingaREADMESnippetsPasteCleanly (contrib): the real icinga2 daemon -C"},
	{"icinga2 feature enable api", "TestIcingaREADMESnippetsPasteCleanly (contrib): the feature enabled as the command does (features-enabled/api.conf)"},
	{"icinga2 node wizard", "not run here: interactive enrolment of an agent with a master; TestIcingaMasterAgent (contrib) runs the cluster the wizard sets up, from files"},
	{"icinga2 pki ticket", "not run here: part of the wizard's enrolment; TestIcingaMasterAgent (contrib) gives the nodes their certificates from files"},
	{"postfix reload", "TestRenewedNotReloaded (cmd/check_smtp_tls): the real postfix reload (sandbox Postfix.Reload)"},
	{"systemctl reload dovecot", "not run here: the host's systemd; it sends Dovecot the SIGHUP that sandbox Dovecot.Reload sends (TestAgainstDovecot, cmd/check_imaps_tls), and doveadm reload runs in TestShownDaemonCommandsRun"},
	{"systemctl start firewalld", "not run here: the host's systemd; the tests start firewalld themselves (sandbox.StartFirewalld) and stop it for the not-running case (TestCLISourceMatchesDBus, cmd/check_firewalld_mail)"},
	{"nmcli connection modify", "TestZoneFlagWithNetworkManagerZone, TestNetworkManagerDeviceMovedAtRuntimeIsDrift (cmd/check_firewalld_mail): against a real NetworkManager"},
	{"nmcli", "TestZoneFlagWithNetworkManagerZone (cmd/check_firewalld_mail): nmcli connection modify … connection.zone, against a real NetworkManager"},
	{"nft -j list ruleset", "TestKernelRefusalsOutsideFirewalld (cmd/check_firewalld_mail): the plugin's kernel read runs it; TestSudoersAllowOnlyWhatThePluginsRun: the sudo rule allows exactly it"},
	{"nft list ruleset", "TestKernelIngress (internal/netfilter): on nft 1.0.6 an ingress chain's device is read from its text; TestSudoersAllowOnlyWhatThePluginsRun (contrib): the sudo rule allows exactly it"},
	{"nft flush ruleset", "not run: named as a cause (it would empty the ruleset); TestSudoersAllowOnlyWhatThePluginsRun (contrib) checks the sudo rule refuses it"},
	{"openssl s_client", "TestRenewedNotReloaded and the other Postfix tests (cmd/check_smtp_tls), TestCertificatesClientsMayBeServed (cmd/check_imaps_tls): openssl s_client -verify_return_error (-starttls smtp, -sigalgs) as the reference verdict"},
	{"openssl ca -md sha256", "not run here: signing advice for a private CA; the tests' CAs sign with SHA-256 (sandbox.NewRootCA)"},
	{"certbot", "not run here: certbot needs an ACME CA on the network; the tests renew by writing a new certificate where certbot would (TestRenewedNotReloaded, TestAgainstDovecot)"},
	{"ss -ltn", "TestShownDaemonCommandsRun (docs): as shown, beside a real Dovecot"},
	{"setfacl -m g:mailchecks:rw", "TestFail2banSocketACLDropIn (contrib): the drop-in's setfacl on the real fail2ban socket"},
	{"setfacl -m g:mailchecks:x /etc/letsencrypt/live /etc/letsencrypt/archive", "TestLetsEncryptACLLetsGroupReadCert (contrib): the line as written, on certbot's layout"},
	{"restorecon", "not run here: SELinux (Fedora/RHEL); Debian runs without it"},
	{"setsebool", "not run here: SELinux (Fedora/RHEL); Debian runs without it"},
	{"ausearch", "not run here: SELinux's audit log (Fedora/RHEL)"},
	{"update-alternatives --display", "not run by a test: a look at the host's polkit policy choice; TestPolkitRuleLetsNagiosReadFirewalld (contrib) runs with Debian's default (server) one"},
	{"chmod o-r", "TestREADMEExtraOpts (contrib): the ini file refused at 0644 and accepted at 0640, the mode chmod o-r gives"},
	{"man check_", "TestManPages (packaging): man -l renders every packaged page without a warning"},
	{"ssh mail check_", "not run by a test: the check_by_ssh way make bench compares with (tools/benchmark/ssh.go)"},
	{"ssh-keygen -t ed25519", "TestRemoteAgreesWithLocal and every remote test (cmd/check_fail2ban_trusted, cmd/check_firewalld_mail): sandbox.GenerateSSHKey runs ssh-keygen -t … -N … -f"},
	{"ssh-keygen -lf", "not run here: on the mail host, against its own host key; TestRemoteHostKeyAndLoginProblems (cmd/check_fail2ban_trusted) checks the Fix names it with the key's SHA256 fingerprint"},
	{"check_imap ", "not run by a test: a peer plugin make bench compares with (tools/benchmark)"},
	{"check_ssl_cert", "not run by a test: a peer plugin make bench compares with (tools/benchmark)"},
	{"check_smtp ", "not run by a test: a peer plugin make bench compares with (tools/benchmark)"},
	{"fail2ban-client", "TestShownDaemonCommandsRun (docs): as shown, against a real fail2ban-server"},
	{"doveadm", "TestShownDaemonCommandsRun (docs): as shown, against a real Dovecot"},
	{"firewall-cmd", "TestShownDaemonCommandsRun (docs): as shown, against a real firewalld"},
	{"firewall-cmd --permanent --zone=Z --remove-rich-rule=", "make demo: tools/demo/firewalld.go removes the demo's rich rule so; TestVerdictMatchesWhatTheKernelLetsThrough (cmd/check_firewalld_mail)"},
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
		for _, e := range exercised {
			if e.prefix == best && strings.HasPrefix(e.by, "TestShownDaemonCommandsRun") && !daemonRunnable(s) {
				t.Errorf("%s: %q is credited to TestShownDaemonCommandsRun, which does not run it", s.where, s.text)
			}
		}
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
