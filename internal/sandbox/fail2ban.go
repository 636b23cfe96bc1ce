package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// python is the system interpreter fail2ban is packaged for. A python3
// earlier on PATH (pyenv) may lack fail2ban's dependencies or be another
// version, so the scripts are always run through it explicitly.
const python = "/usr/bin/python3"

// Fail2banJail is one jail of a sandboxed fail2ban.
type Fail2banJail struct {
	Name     string
	Filter   string // stock filter spec; default: Name (postfix-sasl: "postfix[mode=auth]")
	IgnoreIP string // the jail's own ignoreip (replaces [DEFAULT]'s); "" inherits
	Extra    string // more "key = value" lines for the section
}

// Fail2ban is a private fail2ban-server: own config dir, socket, pid file,
// in-memory database, polling backend and the dummy action (nothing touches
// a firewall). All jails watch one log file, LogPath.
type Fail2ban struct {
	Dir     string
	Socket  string
	LogPath string // the auth log the jails watch
	F2BLog  string // fail2ban's own log
	Jails   []Fail2banJail
	proc    *Process
	mu      sync.Mutex
	mark    int // size of fail2ban's log when failures were last written
}

// StartFail2ban writes a configuration under dir and starts
// `fail2ban-server -f -x -c DIR -s SOCK -p PID`; it returns once every jail
// has started. defaultIgnoreIP is [DEFAULT]'s ignoreip.
func StartFail2ban(dir, defaultIgnoreIP string, jails ...Fail2banJail) (*Fail2ban, error) {
	return StartFail2banDB(dir, defaultIgnoreIP, ":memory:", jails...)
}

// StartFail2banDB is StartFail2ban with fail2ban's database in dbfile (a
// path, as on a real host, where the ban records are kept; ":memory:" for
// none on disk).
func StartFail2banDB(dir, defaultIgnoreIP, dbfile string, jails ...Fail2banJail) (*Fail2ban, error) {
	return startFail2ban(dir, defaultIgnoreIP, dbfile, nil, jails...)
}

// StartFail2banNetNS starts the server in a network namespace of its own
// whose loopback is up and also carries addrs (e.g. "203.0.113.77/32"):
// addresses of the server's own interfaces, which fail2ban 1.1's ignoreself
// covers, without touching the host's. NetNS names it for nsenter.
func StartFail2banNetNS(dir, defaultIgnoreIP string, addrs []string, jails ...Fail2banJail) (*Fail2ban, error) {
	setup := `ip link set lo up || exit 1; for a in $ADDRS; do ip addr add "$a" dev lo || exit 1; done; exec "$@"`
	prefix := []string{"/usr/bin/env", "ADDRS=" + strings.Join(addrs, " "), "unshare", "-n", "/bin/sh", "-c", setup, "sh"}
	return startFail2ban(dir, defaultIgnoreIP, ":memory:", prefix, jails...)
}

// NetNS is the server's network namespace (/proc/PID/ns/net).
func (f *Fail2ban) NetNS() string { return fmt.Sprintf("/proc/%d/ns/net", f.proc.PID()) }

func startFail2ban(dir, defaultIgnoreIP, dbfile string, prefix []string, jails ...Fail2banJail) (*Fail2ban, error) {
	if err := RequireRoot("fail2ban"); err != nil {
		return nil, err
	}
	for _, bin := range []string{python, "/usr/bin/fail2ban-server", "/usr/bin/fail2ban-client"} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("fail2ban sandbox: %v (install the fail2ban package with `make deps`, as root)", err)
		}
	}
	// The socket is created 0700 by fail2ban (umask 077); the directory must
	// be traversable so a permission test sees the socket's own mode.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	_ = os.Chmod(dir, 0o755)
	f := &Fail2ban{
		Dir:     dir,
		Socket:  filepath.Join(dir, "f2b.sock"),
		LogPath: filepath.Join(dir, "auth.log"),
		F2BLog:  filepath.Join(dir, "fail2ban.log"),
		Jails:   jails,
	}
	if err := f.writeConfig(defaultIgnoreIP, dbfile); err != nil {
		return nil, err
	}
	argv := append(prefix, python, "/usr/bin/fail2ban-server", "-f", "-x", "-c", dir, "-s", f.Socket, "-p", filepath.Join(dir, "f2b.pid"))
	p, err := StartProcess("fail2ban-server", filepath.Join(dir, "server.out"), nil, argv...)
	if err != nil {
		return nil, err
	}
	f.proc = p
	err = p.WaitFor(20*time.Second, "all jails started", func() error {
		log, _ := os.ReadFile(f.F2BLog)
		for _, j := range jails {
			if !strings.Contains(string(log), "Jail '"+j.Name+"' started") {
				return fmt.Errorf("jail %s not started yet", j.Name)
			}
		}
		return SocketReady(f.Socket)()
	})
	if err != nil {
		p.Stop()
		log, _ := os.ReadFile(f.F2BLog)
		return nil, fmt.Errorf("%v\nfail2ban.log:\n%s", err, tail(string(log), 2000))
	}
	return f, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (f *Fail2ban) writeConfig(defaultIgnoreIP, dbfile string) error {
	filters := filepath.Join(f.Dir, "filter.d")
	if out, err := exec.Command("cp", "-r", "/etc/fail2ban/filter.d", filters).CombinedOutput(); err != nil {
		return fmt.Errorf("copy stock filters: %v: %s", err, out)
	}
	dummy := `[Definition]
actionstart = touch <target>
actionstop = rm -f <target>
actioncheck =
actionban = printf %%b "+<ip>\n" >> <target>
actionunban = printf %%b "-<ip>\n" >> <target>
[Init]
target = ` + filepath.Join(f.Dir, "dummy.bans") + "\n"
	conf := fmt.Sprintf(`[Definition]
loglevel = INFO
logtarget = %s
syslogsocket = auto
socket = %s
pidfile = %s
allowipv6 = auto
dbfile = %s
dbpurgeage = 1d
`, f.F2BLog, f.Socket, filepath.Join(f.Dir, "f2b.pid"), dbfile)
	var jail strings.Builder
	fmt.Fprintf(&jail, `[DEFAULT]
backend = polling
mode = normal
filter = %%(__name__)s[mode=%%(mode)s]
action = dummy
maxretry = 3
findtime = 600
bantime = 3600
ignoreself = true
ignoreip = %s
`, defaultIgnoreIP)
	for _, j := range f.Jails {
		filter := j.Filter
		if filter == "" {
			filter = j.Name
			if j.Name == "postfix-sasl" {
				filter = "postfix[mode=auth]"
			}
		}
		fmt.Fprintf(&jail, "\n[%s]\nenabled = true\nfilter = %s\nlogpath = %s\n", j.Name, filter, f.LogPath)
		if j.IgnoreIP != "" {
			fmt.Fprintf(&jail, "ignoreip = %s\n", j.IgnoreIP)
		}
		if j.Extra != "" {
			fmt.Fprintf(&jail, "%s\n", strings.TrimSpace(j.Extra))
		}
	}
	for path, content := range map[string]string{
		filepath.Join(f.Dir, "action.d", "dummy.conf"): dummy,
		filepath.Join(f.Dir, "fail2ban.conf"):          conf,
		filepath.Join(f.Dir, "jail.conf"):              jail.String(),
		f.LogPath:                                      "",
	} {
		if err := WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// PID is the server's process ID.
func (f *Fail2ban) PID() int { return f.proc.PID() }

// Stop shuts the server down (SIGTERM by PID; it removes its socket).
func (f *Fail2ban) Stop() {
	if f != nil {
		f.proc.Stop()
	}
}

// StopCleanly stops the server the way systemd's unit does
// (fail2ban-client stop) and waits, within a bound, for it to exit and
// remove its socket: under load its shutdown can take longer than Stop's
// grace before SIGKILL, which would leave the socket of a crash behind.
func (f *Fail2ban) StopCleanly() error {
	if out, err := f.Client("stop"); err != nil {
		return fmt.Errorf("fail2ban-client stop: %v: %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !f.proc.Exited() || fileExists(f.Socket) {
		if time.Now().After(deadline) {
			return fmt.Errorf("fail2ban-server still running or its socket %s still there 30 s after fail2ban-client stop", f.Socket)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// Crash kills the server with SIGKILL, leaving its socket file behind as a
// crashed fail2ban does: connecting to it is then refused.
func (f *Fail2ban) Crash() {
	if f == nil || f.proc.Exited() {
		return
	}
	_ = syscall.Kill(-f.proc.PID(), syscall.SIGKILL)
	f.proc.Stop() // waits for the exit
}

// Client runs fail2ban-client against this server and returns its combined
// output.
func (f *Fail2ban) Client(args ...string) (string, error) {
	argv := append([]string{python, "/usr/bin/fail2ban-client", "-s", f.Socket}, args...)
	return Run(context.Background(), nil, argv...)
}

// DovecotFailures appends n dovecot authentication failures from ip, in the
// format the stock dovecot filter matches.
func (f *Fail2ban) DovecotFailures(ip string, n int) error {
	return f.appendLines(n, func(ts string) string {
		return fmt.Sprintf("%s mail dovecot: auth-worker(304): pam(phone,%s): pam_authenticate() failed: Authentication failure (password mismatch?)", ts, ip)
	})
}

// PostfixSASLFailures appends n Postfix SASL login failures from ip (stock
// postfix filter, mode=auth).
func (f *Fail2ban) PostfixSASLFailures(ip string, n int) error {
	return f.appendLines(n, func(ts string) string {
		return fmt.Sprintf("%s mail postfix/submission/smtpd[11538]: warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6", ts, ip)
	})
}

func (f *Fail2ban) appendLines(n int, line func(ts string) string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, err := os.Stat(f.F2BLog); err == nil {
		f.mark = int(st.Size())
	}
	fh, err := os.OpenFile(f.LogPath, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer fh.Close()
	for i := 0; i < n; i++ {
		ts := time.Now().Format("Jan _2 15:04:05")
		if _, err := fmt.Fprintln(fh, line(ts)); err != nil {
			return err
		}
	}
	return nil
}

// WaitBanned waits until fail2ban logs a ban of ip in jail after the last
// failures were written.
func (f *Fail2ban) WaitBanned(jail, ip string, timeout time.Duration) error {
	f.mu.Lock()
	mark := f.mark
	f.mu.Unlock()
	err := f.proc.WaitFor(timeout, "ban of "+ip+" in "+jail, func() error {
		log, _ := os.ReadFile(f.F2BLog)
		if len(log) >= mark && strings.Contains(string(log[mark:]), "["+jail+"] Ban "+ip+"\n") {
			return nil
		}
		return fmt.Errorf("not banned yet")
	})
	if err != nil {
		log, _ := os.ReadFile(f.F2BLog)
		auth, _ := os.ReadFile(f.LogPath)
		return fmt.Errorf("%v\nfail2ban.log:\n%s\nauth log:\n%s", err, tail(string(log), 3000), tail(string(auth), 1000))
	}
	return nil
}

// Fail2banVersion is the installed fail2ban's version ("1.0.2" on Debian 12,
// "1.1.0" on Debian 13), from the package the system Python imports.
func Fail2banVersion() (string, error) {
	out, err := exec.Command(python, "-c", "import fail2ban.version; print(fail2ban.version.version)").Output()
	if err != nil {
		return "", fmt.Errorf("fail2ban version: %w (install fail2ban with `make deps`)", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Fail2banAtLeast11 reports whether a fail2ban version is 1.1 or later, which
// prints masked ignoreip entries with their mask and matches ignoreself
// against every address of the host's interfaces.
func Fail2banAtLeast11(version string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 1 || (major == 1 && minor >= 1)
}
