package contrib

import (
	"fmt"
	"net"
	"os"
	osuser "os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestSudoersSyntax: visudo accepts the shipped file, and rejects a broken
// copy (so the check can fail).
func TestSudoersSyntax(t *testing.T) {
	visudo := requireTool(t, "/usr/sbin/visudo")
	if r := run(t, false, nil, "", visudo, "-cf", "sudoers.d/mailchecks"); r.code != 0 {
		t.Fatalf("visudo -cf sudoers.d/mailchecks exited %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	broken := filepath.Join(t.TempDir(), "mailchecks")
	writeFile(t, broken, strings.Replace(readFile(t, "sudoers.d/mailchecks"), "NOPASSWD:", "NOPASWD:", 1), 0o440)
	if r := run(t, false, nil, "", visudo, "-cf", broken); r.code == 0 {
		t.Fatal("visudo accepted a sudoers file with NOPASWD: the syntax test cannot fail")
	}
}

// installed is the layout the sudoers rules name, recreated in a private
// mount namespace so that nothing on the host changes: our sudoers file as
// /etc/sudoers.d (root 0440, as visudo wants), the built plugins with the
// contrib wrappers as both /usr/lib/nagios/plugins (Debian) and
// /usr/lib64/nagios/plugins (Fedora/RHEL), and an /etc/group in which
// nagios is in the group mailchecks, as docs/privileges.md has the admin make it.
type installed struct {
	sudoersDir, pluginsDir string
	groupFile              string // bound over /etc/group
	scratch                string // a tmpfs there holds the overlay over /usr
	extra                  string // more shell run before the command (mounts)
	groups                 groupDB
}

func install(t *testing.T) *installed {
	t.Helper()
	sandbox.FailUnlessRoot(t, "namespaces, sudo -U, daemons dropping to nagios")
	requireTool(t, "unshare")
	requireTool(t, "setpriv")
	requireTool(t, "/usr/bin/sudo")
	dir := worldDir(t)
	in := &installed{sudoersDir: filepath.Join(dir, "sudoers.d"), pluginsDir: filepath.Join(dir, "plugins"),
		scratch: filepath.Join(dir, "scratch"), groups: mailchecksGroup(t)}
	in.groupFile = in.groups.with
	writeFile(t, filepath.Join(in.sudoersDir, "mailchecks"), readFile(t, "sudoers.d/mailchecks"), 0o440)
	for _, p := range plugins {
		writeFile(t, filepath.Join(in.pluginsDir, p), readFile(t, pluginBin(t, p)), 0o755)
	}
	for _, w := range []string{"fail2ban-client-readonly", "firewall-cmd-sudo"} {
		writeFile(t, filepath.Join(in.pluginsDir, w), readFile(t, filepath.Join("sudoers.d", w)), 0o755)
	}
	if err := os.Mkdir(in.scratch, 0o700); err != nil {
		t.Fatal(err)
	}
	return in
}

// withoutGroup is the same layout on a host where nobody is in mailchecks.
func (in *installed) withoutGroup() *installed {
	out := *in
	out.groupFile = in.groups.without
	return &out
}

// argv wraps a command so that it runs in a fresh mount namespace with the
// installed layout, as root (user "") or dropped to user with the groups
// /etc/group gives it there, the way NRPE and the agent run plugins.
// /usr is an overlay in the namespace (upper layer on a tmpfs): the Fedora
// directory /usr/lib64/nagios/plugins needs a mount point, and neither the
// host's /usr nor /usr/lib64 (the dynamic loader's) can be written or
// replaced.
func (in *installed) argv(user string, argv ...string) []string {
	script := `set -e
mount --bind "$0" /etc/sudoers.d
mount --bind "$2" /etc/group
mount -t tmpfs -o mode=0700 tmpfs "$3"
mkdir "$3/up" "$3/work"
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$3/up,workdir=$3/work" /usr
mkdir -p ` + pluginDir + ` ` + fedoraPluginDir + `
mount --bind "$1" ` + pluginDir + `
mount --bind "$1" ` + fedoraPluginDir + `
` + in.extra + `
shift 3
exec "$@"`
	full := []string{"unshare", "--mount", "--propagation", "private", "sh", "-c", script,
		in.sudoersDir, in.pluginsDir, in.groupFile, in.scratch}
	if user != "" {
		full = append(full, "setpriv", "--reuid="+user, "--regid="+primaryGroup(user), "--init-groups", "--")
	}
	return append(full, argv...)
}

// primaryGroup is a user's primary gid, for setpriv --regid.
func primaryGroup(name string) string {
	u, err := osuser.Lookup(name)
	if err != nil {
		return name // setpriv says what is wrong
	}
	return u.Gid
}

// run runs argv in the installed layout as user ("" root) and waits for it.
func (in *installed) run(t *testing.T, user, stdin string, argv ...string) result {
	t.Helper()
	return run(t, false, []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}, stdin, in.argv(user, argv...)...)
}

// TestSudoersAllowOnlyWhatThePluginsRun asks sudo itself (sudo -l -U nagios
// CMD) with the shipped rules in place: the commands the plugins run are
// allowed, under both plugin directories, to nagios as a member of the group
// mailchecks and to nobody else; anything that writes or that would let the
// caller choose what root reads or runs is not.
func TestSudoersAllowOnlyWhatThePluginsRun(t *testing.T) {
	in := install(t)
	f2b := pluginDir + "/fail2ban-client-readonly"
	fw := pluginDir + "/check_firewalld_mail"
	sock := "/var/run/fail2ban/fail2ban.sock"
	cases := []struct {
		allow bool
		argv  []string
	}{
		// what check_fail2ban_trusted --backend client --sudo runs
		{true, []string{f2b, "-s", sock, "status"}},
		{true, []string{f2b, "-s", sock, "-i"}},
		{false, []string{f2b, "-s", "/tmp/other.sock", "-i"}},
		{false, []string{f2b, "-s", sock, "set", "dovecot", "unbanip", "203.0.113.7"}},
		// fail2ban-client itself never: -i would take any command on stdin
		{false, []string{"/usr/bin/fail2ban-client", "-s", sock, "-i"}},
		{false, []string{"/usr/bin/fail2ban-client", "status"}},
		// firewall-cmd: the one read the cli source does
		{true, []string{"/usr/bin/firewall-cmd", "--list-all"}},
		{true, []string{"/usr/bin/firewall-cmd", "--zone=public", "--list-all"}},
		{true, []string{"/usr/bin/firewall-cmd", "--get-active-zones"}},
		{true, []string{"/usr/bin/firewall-cmd", "--list-all-policies"}},
		{true, []string{"/usr/bin/firewall-cmd", "--version"}},
		{false, []string{"/usr/bin/firewall-cmd", "--version", "--reload"}},
		{true, []string{"/usr/bin/firewall-cmd", "--info-ipset=blocklist"}},
		{false, []string{"/usr/bin/firewall-cmd", "--info-ipset=x", "--reload"}},
		// whether firewalld holds direct rules (what the next reload flushes)
		{true, []string{"/usr/bin/firewall-cmd", "--direct", "--get-all-rules"}},
		{true, []string{"/usr/bin/firewall-cmd", "--direct", "--get-all-passthroughs"}},
		{false, []string{"/usr/bin/firewall-cmd", "--direct", "--remove-rules", "ipv4", "filter", "INPUT"}},
		{false, []string{"/usr/bin/firewall-cmd", "--direct", "--get-all-rules", "--permanent"}},
		{false, []string{"/usr/bin/firewall-cmd", "--zone=public", "--add-service=imaps"}},
		{false, []string{"/usr/bin/firewall-cmd", "--reload"}},
		{false, []string{"/usr/bin/firewall-cmd", "--zone=public", "--list-all", "--permanent"}},
		// the kernel's ruleset, read-only, exactly as internal/netfilter runs it
		{true, []string{"/usr/sbin/nft", "-j", "list", "ruleset"}},
		{false, []string{"/usr/sbin/nft", "flush", "ruleset"}},
		{true, []string{"/usr/sbin/nft", "list", "ruleset"}},
		{false, []string{"/usr/sbin/nft", "list", "ruleset", "-f", "/tmp/evil.nft"}},
		{false, []string{"/usr/sbin/nft", "-f", "/tmp/evil.nft"}},
		{false, []string{"/usr/sbin/nft", "-j", "list", "ruleset", "-f", "/tmp/evil.nft"}},
		{true, []string{"/usr/sbin/iptables-legacy-save"}},
		{true, []string{"/usr/sbin/ip6tables-nft-save"}},
		{false, []string{"/usr/sbin/iptables-legacy-save", "-M", "/tmp/evil"}},
		{false, []string{"/usr/sbin/iptables-legacy-restore"}},
		{true, []string{"/usr/sbin/ipset", "save"}},
		{false, []string{"/usr/sbin/ipset", "flush"}},
		{false, []string{"/usr/sbin/ipset", "save", "-f", "/etc/shadow"}},
		{false, []string{"/usr/sbin/ipset", "restore"}},
		{true, []string{fw, "--service", "imaps", "--kernel", "require"}},
		// the whole firewalld plugin as root, with what-to-check flags only
		{true, []string{fw}},
		{true, []string{fw, "--zone", "public", "--service", "imaps", "--port=4190/tcp", "--drift", "critical", "-t", "10", "-vv"}},
		{true, []string{fw, "--runtime-source=cli", "--service=smtp-submission", "--port", "1000-1010/udp", "--timeout", "1500ms"}},
		{false, []string{fw, "--config-dir", "/etc"}},
		{false, []string{fw, "--runtime-source", "cli", "--firewall-cmd", "/tmp/evil"}},
		{false, []string{fw, "--zone", "public --default-config-dir /root"}},
		{false, []string{fw, "--zone", "--firewall-cmd=/tmp/evil"}},
		{false, []string{fw, "--zone", "../../../root/x"}},
		{false, []string{fw, "--service=../../tmp/x"}},
		{false, []string{fw, "--port", "4190/tcp/../x"}},
	}
	outsider := in.withoutGroup()
	for _, c := range cases {
		// The same rule under Fedora/RHEL's plugin directory.
		fedora := append([]string{strings.Replace(c.argv[0], pluginDir+"/", fedoraPluginDir+"/", 1)}, c.argv[1:]...)
		for _, argv := range [][]string{c.argv, fedora} {
			r := in.run(t, "", "", append([]string{"sudo", "-n", "-l", "-U", "nagios"}, argv...)...)
			if allowed := r.code == 0; allowed != c.allow {
				t.Errorf("sudo -l -U nagios %q (nagios in %s): allowed=%v, want %v\n%s%s", argv, monitoringGroup, allowed, c.allow, r.stdout, r.stderr)
			}
			if !c.allow {
				continue
			}
			// Granted through the group only: not to nagios outside it,
			// nor to another user.
			if r := outsider.run(t, "", "", append([]string{"sudo", "-n", "-l", "-U", "nagios"}, argv...)...); r.code == 0 {
				t.Errorf("sudo -l -U nagios %q allowed with nagios not in %s:\n%s", argv, monitoringGroup, r.stdout)
			}
			if r := in.run(t, "", "", append([]string{"sudo", "-n", "-l", "-U", "nobody"}, argv...)...); r.code == 0 {
				t.Errorf("sudo -l -U nobody %q allowed:\n%s", argv, r.stdout)
			}
		}
	}
}

// TestFail2banThroughSudo runs check_fail2ban_trusted as nagios exactly as
// the examples configure it (--backend client --sudo through the read-only
// filter) against a real fail2ban-server whose socket sits at the default
// path inside the namespace, and checks that the same route refuses a write.
func TestFail2banThroughSudo(t *testing.T) {
	in := install(t)
	f2b, err := sandbox.StartFail2ban(filepath.Join(worldDir(t), "fail2ban"), "127.0.0.1/8 198.51.100.0/24",
		sandbox.Fail2banJail{Name: "dovecot"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f2b.Stop)
	const banned = "203.0.113.7"
	if err := f2b.DovecotFailures(banned, 5); err != nil {
		t.Fatal(err)
	}
	if err := f2b.WaitBanned("dovecot", banned, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	// The default socket path, pointing at the sandbox's socket. (If the host
	// has no /run/fail2ban, an empty one is left behind as a mount point.)
	in.extra = `mount -t tmpfs -o mode=0755 tmpfs /run/fail2ban 2>/dev/null || { mkdir -p /run/fail2ban && mount -t tmpfs -o mode=0755 tmpfs /run/fail2ban; }
ln -s ` + f2b.Socket + ` /run/fail2ban/fail2ban.sock`

	check := func(in *installed, dir, ip string) result {
		return in.run(t, "nagios", "", dir+"/check_fail2ban_trusted", "--backend", "client", "--sudo",
			"--fail2ban-client", dir+"/fail2ban-client-readonly", "--ip", ip)
	}
	for _, dir := range []string{pluginDir, fedoraPluginDir} {
		r := check(in, dir, banned)
		t.Logf("as nagios through sudo, from %s: %s", dir, r.firstLine())
		if r.code != 2 || !strings.Contains(r.stdout, banned) {
			t.Errorf("banned IP through sudo (%s): exit %d, want 2 (CRITICAL) naming %s:\n%s%s", dir, r.code, banned, r.stdout, r.stderr)
		}
		if r := check(in, dir, "198.51.100.10"); r.code != 0 {
			t.Errorf("whitelisted IP through sudo (%s): exit %d, want 0:\n%s%s", dir, r.code, r.stdout, r.stderr)
		}
	}
	// nagios before usermod -aG mailchecks: sudo refuses, the plugin says
	// UNKNOWN (never OK about what it could not read).
	if r := check(in.withoutGroup(), pluginDir, "198.51.100.10"); r.code != 3 {
		t.Errorf("as nagios not in %s: exit %d, want 3 (UNKNOWN: sudo refused):\n%s%s", monitoringGroup, r.code, r.stdout, r.stderr)
	} else {
		t.Logf("as nagios not in %s: %s", monitoringGroup, r.firstLine())
	}

	// The shipped NRPE lines, verbatim (mailchecks.cfg and, for Fedora/RHEL,
	// mailchecks-fedora.cfg included as they are): nrpe runs in the same
	// kind of namespace, so both plugin directories and /etc/sudoers.d are
	// ours, and it takes nagios' groups from /etc/group there when it drops
	// root. 203.0.113.7 is one of the lines' trusted IPs.
	for _, cfg := range nrpeFiles {
		nrpeCheck(t, in, cfg, "check_fail2ban_trusted", 2, "CRITICAL: "+banned+" is banned")
	}

	// The route the plugin uses must not carry a write: the filter refuses
	// the session, and sudo refuses fail2ban-client itself.
	for _, bad := range []string{
		"set dovecot unbanip " + banned,
		"unban --all",
		"get dovecot ignoreip extra",
		"get dovecot banip --with-time ignoreip",
		"get $(id) ignoreip",
		"get 'dovecot' ignoreip",
		"stop",
		"get dovecot banned 203.0.113.7;id",
		"get dovecot banned $(id)",
		"get dovecot banned ",
		"get dovecot banned 203.0.113.7 ignoreip",
		"status dovecot",
		"status dovecot short extra",
		"get dbfile extra",
		"version extra",
		"set logtarget /tmp/x",
		"get dovecot action dummy actionban",
		"get dovecot action dummy port extra",
		"get dovecot action 'dummy x' port",
		"get dovecot action $(id) port",
		"get dovecot action  port",
		"get dovecot actions extra",
		"set dovecot action dummy port 1",
	} {
		r := in.run(t, "nagios", "get dovecot ignoreip\n"+bad+"\nexit\n",
			"sudo", "-n", pluginDir+"/fail2ban-client-readonly", "-s", "/var/run/fail2ban/fail2ban.sock", "-i")
		if r.code == 0 || !strings.Contains(r.stderr, "refused: line 2") {
			t.Errorf("the filter let %q through: exit %d\n%s%s", bad, r.code, r.stdout, r.stderr)
		}
	}
	// The kernel's verdict asks each jail's ports: exactly these two lines.
	if r := in.run(t, "nagios", "get dovecot actions\nget dovecot action dummy port\nexit\n",
		"sudo", "-n", pluginDir+"/fail2ban-client-readonly", "-s", "/var/run/fail2ban/fail2ban.sock", "-i"); r.code != 0 ||
		!strings.Contains(r.stdout, "The jail dovecot has the following actions:") {
		t.Errorf("the filter refused the port questions: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := in.run(t, "nagios", "set dovecot unbanip "+banned+"\n",
		"sudo", "-n", "/usr/bin/fail2ban-client", "-s", "/var/run/fail2ban/fail2ban.sock", "-i")
	if r.code == 0 {
		t.Errorf("sudo ran fail2ban-client -i for nagios:\n%s%s", r.stdout, r.stderr)
	}
	if out, err := f2b.Client("get", "dovecot", "banip"); err != nil || !strings.Contains(out, banned) {
		t.Errorf("%s is no longer banned after the refused writes: %v\n%s", banned, err, out)
	}
}

// nrpeFiles are the NRPE command files, Debian's and Fedora/RHEL's.
var nrpeFiles = []string{"nrpe/mailchecks.cfg", "nrpe/mailchecks-fedora.cfg"}

// nrpeCheck starts nrpe (as nagios, no TLS) in the installed layout with one
// of nrpeFiles included unchanged, runs one of its commands with the real
// check_nrpe, and checks exit code and status line.
func nrpeCheck(t *testing.T, in *installed, file, command string, code int, prefix string) {
	t.Helper()
	nrpe := requireTool(t, "/usr/sbin/nrpe")
	checkNRPE := requireTool(t, pluginDir+"/check_nrpe")
	dir := worldDir(t)
	chownNagios(t, dir)
	port, err := sandbox.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "nrpe.cfg")
	writeFile(t, cfg, fmt.Sprintf(`pid_file=%[1]s/nrpe.pid
server_address=127.0.0.1
server_port=%[2]d
nrpe_user=nagios
nrpe_group=nagios
allowed_hosts=127.0.0.1
dont_blame_nrpe=0
command_timeout=30
disable_syslog=1
log_file=%[1]s/nrpe.log
include=%[3]s
`, dir, port, shipped), 0o644)
	argv := in.argv("", nrpe, "-c", cfg, "-f", "-n")
	proc, err := sandbox.StartProcess("nrpe", filepath.Join(dir, "nrpe.out"), nil, argv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Stop)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := proc.WaitFor(10*time.Second, "listening on "+addr, sandbox.TCPReady(addr)); err != nil {
		t.Fatal(err)
	}
	r := run(t, false, nil, "", checkNRPE, "-n", "-H", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "30", "-c", command)
	t.Logf("check_nrpe -c %s (%s): %s", command, file, r.firstLine())
	if r.code != code || !strings.HasPrefix(r.firstLine(), prefix) {
		t.Errorf("check_nrpe -c %s (%s): exit %d, want %d with %q:\n%s%s", command, file, r.code, code, prefix, r.stdout, r.stderr)
	}
}
