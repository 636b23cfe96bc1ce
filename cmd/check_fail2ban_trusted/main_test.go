package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

var info = plugin.Info{Name: "check_fail2ban_trusted", Description: "test"}

func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	// The kernel read is for tests that point --proc-net at a namespace;
	// else it would judge the test machine's own ruleset.
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--kernel") || strings.HasPrefix(a, "--proc-net") }) {
		args = append(args, "--kernel=skip")
	}
	var out bytes.Buffer
	code := plugin.Run(info, &cli{}, args, &out)
	return code, out.String()
}

func TestFlags(t *testing.T) {
	if code, out := run(t, "--help"); code != 0 || !strings.Contains(out, "--ip-from-dns") || !strings.Contains(out, "--exclude-jail") {
		t.Fatalf("help: %d %s", code, out)
	}
	if code, out := run(t, "--ip", "203.0.113.7", "--unlisted", "maybe"); code != 3 || !strings.HasPrefix(out, "UNKNOWN: bad arguments") {
		t.Fatalf("bad --unlisted: %d %s", code, out)
	}
	if code, out := run(t, "--ip", "not-an-ip"); code != 3 || !strings.Contains(out, `--ip "not-an-ip" is not an IPv4 or IPv6 address`) {
		t.Fatalf("bad --ip: %d %s", code, out)
	}
	if code, out := run(t); code != 3 || !strings.Contains(out, "pass --ip ADDRESS and/or --ip-from-dns NAME") {
		t.Fatalf("no ip: %d %s", code, out)
	}
}

// TestBinaryAgainstRealFail2ban runs the built plugin, as an operator and a
// monitoring core would, against a real fail2ban-server, including as an
// unprivileged user on the root-only socket.
func TestBinaryAgainstRealFail2ban(t *testing.T) {
	// World-traversable dirs: the permission case must meet the socket's
	// own mode (0700 root), not a private parent directory.
	dir, err := os.MkdirTemp("", "f2b-cmd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := buildPlugin(t, dir)
	f, err := sandbox.StartFail2ban(filepath.Join(dir, "f2b"), "127.0.0.1/8 198.51.100.0/24",
		sandbox.Fail2banJail{Name: "dovecot"}, sandbox.Fail2banJail{Name: "postfix-sasl"})
	if err != nil {
		t.Fatalf("cannot start the real fail2ban (never skipped): %v", err)
	}
	t.Cleanup(f.Stop)
	if out, err := f.Client("set", "postfix-sasl", "banip", "203.0.113.7"); err != nil {
		t.Fatal(err, out)
	}

	plugin := func(uid int, args ...string) (int, string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--socket", f.Socket, "--kernel=skip"}, args...)...)
		if uid != 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
		}
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	for _, tc := range []struct {
		uid   int
		args  []string
		code  int
		first string
		more  []string
	}{
		{0, []string{"--ip", "198.51.100.7"}, 0, "OK: 198.51.100.7 not banned and whitelisted in all 2 jails checked",
			[]string{"'jails_checked'=2;;;0;", "'jails_banning'=0;;0;0;", "'jails_not_whitelisting'=0;0;;0;", "'banned_ips'=1;;;0;"}},
		{0, []string{"--ip", "203.0.113.7"}, 2, "CRITICAL: 203.0.113.7 is banned in postfix-sasl (59m left)",
			[]string{"Fix: fail2ban-client set postfix-sasl unbanip 203.0.113.7", "[WARNING] 203.0.113.7 is not whitelisted in dovecot and postfix-sasl"}},
		{0, []string{"--ip", "203.0.113.7", "--backend", "client"}, 2, "CRITICAL: 203.0.113.7 is banned in postfix-sasl (59m left)", nil},
		{0, []string{"--ip", "192.0.2.1"}, 1, "WARNING: 192.0.2.1 is not whitelisted in dovecot and postfix-sasl",
			[]string{"Fix: add 192.0.2.1 to `ignoreip =` in /etc/fail2ban/jail.local under [DEFAULT] and under any jail section that sets its own ignoreip, then: fail2ban-client reload"}},
		{0, []string{"--ip", "192.0.2.1", "--jail", "sshd"}, 3, "UNKNOWN: jail sshd does not exist on this fail2ban (it runs: dovecot, postfix-sasl)", nil},
		{65534, []string{"--ip", "198.51.100.7"}, 3, "UNKNOWN: permission denied on fail2ban socket " + f.Socket,
			[]string{"--backend=client --sudo --fail2ban-client /usr/lib/nagios/plugins/fail2ban-client-readonly", "setfacl -m u:nobody:rw " + f.Socket}},
		{65534, []string{"--ip", "198.51.100.7", "--backend", "client"}, 3, "UNKNOWN: permission denied on fail2ban socket " + f.Socket, nil},
	} {
		code, out := plugin(tc.uid, tc.args...)
		if code != tc.code || !strings.HasPrefix(out, tc.first) {
			t.Errorf("%v (uid %d): exit %d, want %d %q:\n%s", tc.args, tc.uid, code, tc.code, tc.first, out)
			continue
		}
		for _, m := range tc.more {
			if !strings.Contains(out, m) {
				t.Errorf("%v: missing %q in\n%s", tc.args, m, out)
			}
		}
		if strings.Count(out, "|") != 1 {
			t.Errorf("%v: want exactly one perfdata pipe:\n%s", tc.args, out)
		}
	}
}

// buildPlugin builds the plugin binary into dir.
func buildPlugin(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "check_fail2ban_trusted")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	return bin
}

// A server that accepts and never answers (which a real fail2ban does not do
// on demand, hence the fake) must give the check's own UNKNOWN naming the
// stalled request, before -t, not the watchdog's generic timeout.
func TestStallNamedBeforeTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stall.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	var conns []net.Conn // held open, never answered
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	start := time.Now()
	code, out := run(t, "--socket", path, "--ip", "203.0.113.7", "-t", "1")
	if code != 3 || !strings.Contains(out, "stalled: no progress reading the reply to `status`") || strings.Contains(out, "plugin timed out") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("took %v with -t 1", took)
	}
}
