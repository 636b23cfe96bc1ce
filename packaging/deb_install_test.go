package packaging

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// overlayNamespace is what the namespace's first process runs: a tmpfs for
// the upper layers (any host filesystem, also one that cannot hold an
// overlay's upper dir), and overlays over /usr, /var and /etc. Inside,
// dpkg installs for real into the real paths; outside, nothing changes, and
// the upper layers are exactly what dpkg wrote.
const overlayNamespace = `set -e
mount -t tmpfs -o mode=0755 tmpfs "$0"
for d in usr var etc; do
	mkdir -p "$0/$d/up" "$0/$d/work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$0/$d/up,workdir=$0/$d/work" "/$d"
done
echo ready
exec sleep 600
`

// namespace is a private mount namespace kept alive by one process; run
// enters it with nsenter.
type namespace struct {
	proc  *sandbox.Process
	upper string // inside the namespace: <upper>/{usr,var,etc}/up
}

func newNamespace(t *testing.T) *namespace {
	t.Helper()
	requireTool(t, "unshare")
	requireTool(t, "nsenter")
	dir := t.TempDir()
	upper := filepath.Join(dir, "layers")
	if err := os.Mkdir(upper, 0o755); err != nil {
		t.Fatal(err)
	}
	proc, err := sandbox.StartProcess("mount namespace", filepath.Join(dir, "ns.log"), nil,
		"unshare", "--mount", "--propagation", "private", "sh", "-c", overlayNamespace, upper)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Stop)
	err = proc.WaitFor(10*time.Second, "overlays", func() error {
		if !strings.Contains(proc.Log(), "ready") {
			return os.ErrNotExist
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return &namespace{proc: proc, upper: upper}
}

// run executes argv inside the namespace (environment: ours plus env).
func (n *namespace) run(t *testing.T, env []string, argv ...string) (string, int) {
	t.Helper()
	return runCode(t, env, append([]string{"nsenter", "--target", strconv.Itoa(n.proc.PID()), "--mount", "--"}, argv...)...)
}

// mustRun is run that fails the test on a non-zero exit.
func (n *namespace) mustRun(t *testing.T, env []string, argv ...string) string {
	t.Helper()
	out, code := n.run(t, env, argv...)
	if code != 0 {
		t.Fatalf("in the namespace: %s: exit %d\n%s", strings.Join(argv, " "), code, out)
	}
	return out
}

// TestDebInstallsAndWorks installs the .deb with dpkg -i into the real paths
// of a private mount namespace, runs each plugin from where the package put
// it: -V prints the package version, and one real check against a sandboxed
// firewalld, fail2ban, Dovecot and Postfix answers OK; then dpkg -r removes every
// file of ours. The host's /usr, /var and /etc are never written.
func TestDebInstallsAndWorks(t *testing.T) {
	sandbox.FailUnlessRoot(t, "mount namespaces, dpkg -i")
	requireTool(t, "dpkg")
	p := buildPackages(t)
	files := debFiles(t, p.deb)
	assertHostHasNoMailchecks(t, files)
	t.Cleanup(func() { assertHostHasNoMailchecks(t, files) })

	dir := t.TempDir()
	ca, err := sandbox.NewRootCA(dir, "package-root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("mail", sandbox.Leaf{CommonName: "mail.test", DNSNames: []string{"mail.test"}})
	if err != nil {
		t.Fatal(err)
	}
	dovecot, err := sandbox.StartDovecot(sandbox.DovecotOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath, Password: "pw"})
	if err != nil {
		t.Fatalf("cannot start the real Dovecot (never skipped): %v", err)
	}
	t.Cleanup(dovecot.Stop)
	postfix, err := sandbox.StartPostfix(sandbox.PostfixOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath})
	if err != nil {
		t.Fatalf("cannot start the real Postfix (never skipped): %v", err)
	}
	t.Cleanup(postfix.Stop)
	f2b, err := sandbox.StartFail2ban(filepath.Join(dir, "f2b"), "127.0.0.1/8 198.51.100.0/24", sandbox.Fail2banJail{Name: "dovecot"})
	if err != nil {
		t.Fatalf("cannot start the real fail2ban (never skipped): %v", err)
	}
	t.Cleanup(f2b.Stop)
	fw, err := sandbox.StartFirewalld(filepath.Join(dir, "fw"))
	if err != nil {
		t.Fatalf("cannot start the real firewalld (never skipped): %v", err)
	}
	t.Cleanup(fw.Stop)
	if err := fw.OpenPermanently("smtp", "smtps", "smtp-submission", "imap", "imaps", "http", "https"); err != nil {
		t.Fatal(err)
	}

	ns := newNamespace(t)
	ns.mustRun(t, nil, "dpkg", "-i", p.deb)
	if st := ns.mustRun(t, nil, "dpkg-query", "-W", "-f", "${Status} ${Version}", "mailchecks"); st != "install ok installed "+p.version+"-1" {
		t.Fatalf("dpkg-query after dpkg -i: %q", st)
	}
	for _, name := range plugins {
		out := ns.mustRun(t, nil, debPluginDir+"/"+name, "-V")
		if strings.TrimSpace(out) != name+" "+p.version {
			t.Errorf("installed %s -V printed %q, want %q (the package version)", name, out, name+" "+p.version)
		}
	}
	// The wrappers sudo runs must be root's and not writable by others.
	for _, name := range []string{"fail2ban-client-readonly", "firewall-cmd-sudo"} {
		if st := ns.mustRun(t, nil, "stat", "-c", "%U:%G %a", debPluginDir+"/"+name); strings.TrimSpace(st) != "root:root 755" {
			t.Errorf("installed %s is %s, want root:root 755", name, st)
		}
	}

	checks := []struct {
		name string
		env  []string
		args []string
	}{
		{"check_imaps_tls", nil, []string{"--host", "127.0.0.1", "--port", strconv.Itoa(dovecot.IMAPSPort),
			"--sni", "mail.test", "--ca-file", ca.CertPath, "--ipv4"}},
		{"check_smtp_tls", nil, []string{"--host", "127.0.0.1", "--port", strconv.Itoa(postfix.SubmissionPort),
			"--sni", "mail.test", "--ca-file", ca.CertPath, "--ipv4"}},
		{"check_fail2ban_trusted", nil, []string{"--socket", f2b.Socket, "--ip", "198.51.100.10"}},
		{"check_firewalld_mail", fw.Env(), []string{"--config-dir", fw.ConfigDir, "--default-config-dir", fw.DefaultDir}},
	}
	for _, c := range checks {
		out, code := ns.run(t, c.env, append([]string{debPluginDir + "/" + c.name}, c.args...)...)
		if code != 0 || !strings.HasPrefix(out, "OK") || !strings.Contains(out, "|") {
			t.Errorf("installed %s against the sandboxed daemon: exit %d, want 0 with perfdata:\n%s", c.name, code, out)
		}
	}

	ns.mustRun(t, nil, "dpkg", "-r", "mailchecks")
	if st, _ := ns.run(t, nil, "dpkg-query", "-W", "-f", "${db:Status-Status}", "mailchecks"); st != "not-installed" && !strings.Contains(st, "no packages found") {
		t.Errorf("dpkg-query after dpkg -r: %q, want not-installed (no conffiles are left)", st)
	}
	for _, f := range append(files, "/usr/share/mailchecks", "/usr/share/doc/mailchecks") {
		if _, code := ns.run(t, nil, "test", "!", "-e", f); code != 0 {
			t.Errorf("dpkg -r left %s behind", f)
		}
	}
	// What dpkg wrote and did not take back: only its own database and log,
	// and man-db's index (its dpkg trigger rebuilds /var/cache/man whenever
	// a package brings or takes man pages; a real host has it already).
	left := ns.mustRun(t, nil, "find", ns.upper, "-path", "*/work", "-prune", "-o", "-type", "f", "-print")
	for _, f := range strings.Fields(left) {
		rel := strings.TrimPrefix(f, ns.upper)
		if strings.HasPrefix(rel, "/var/up/lib/dpkg/") && !strings.Contains(rel, "mailchecks") || rel == "/var/up/log/dpkg.log" ||
			strings.HasPrefix(rel, "/var/up/cache/man/") {
			continue
		}
		t.Errorf("after dpkg -r the namespace still has %s", rel)
	}
}

// assertHostHasNoMailchecks: the host itself never sees the package.
func assertHostHasNoMailchecks(t *testing.T, files []string) {
	t.Helper()
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s exists on the host: the install test must stay in its namespace (or a real install is present)", f)
		}
	}
	if out, _ := runCode(t, nil, "dpkg-query", "-W", "-f", "${db:Status-Status}", "mailchecks"); out == "installed" {
		t.Error("mailchecks is installed on the host")
	}
}
