package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DovecotOptions configures a private Dovecot IMAP server.
type DovecotOptions struct {
	// CertPath and KeyPath are the served chain (leaf first) and its key.
	// Dovecot reads them at start and on Reload only, which is what lets the
	// tests reproduce "renewed on disk, never reloaded".
	CertPath, KeyPath string
	// AltCertPath and AltKeyPath are a second certificate of the other key
	// type (ssl_server_alt_cert_file on 2.4, ssl_alt_cert on 2.3); "": none.
	AltCertPath, AltKeyPath string
	// MinProtocol is ssl_min_protocol ("": TLSv1.2; "TLSv1.3" for a server
	// that speaks only TLS 1.3).
	MinProtocol string
	// Password is the one password every user has (static passdb).
	Password string
	// Mailboxes are created, besides INBOX, for every user that logs in.
	Mailboxes []string
	// PostfixAuth adds an auth socket Postfix's smtpd can use for SASL
	// (service auth { unix_listener } owned by user postfix), at
	// Dovecot.PostfixAuthSocket. Needs the postfix user (package postfix).
	PostfixAuth bool
}

// Dovecot is a running private Dovecot. It listens on 127.0.0.1 and 127.0.0.2
// (and on ::1 where the host has IPv6 loopback, since "localhost" resolves to
// ::1 first on a stock Debian and a client tries that first):
// Dovecot treats a client on the server's own address as secure and then, for
// example, omits LOGINDISABLED; connect to 127.0.0.2 to see what a remote
// client sees.
type Dovecot struct {
	Dir       string
	Conf      string
	IMAPSPort int // implicit TLS (what port 993 is)
	IMAPPort  int // plain IMAP with STARTTLS (what port 143 is)
	HomeRoot  string
	// Version is what `dovecot --version` said ("2.3.19.1", "2.4.1"): the
	// configuration is written in that version's syntax.
	Version string
	// PostfixAuthSocket is the auth socket for Postfix
	// (PostfixOptions.SASLPath), "" unless DovecotOptions.PostfixAuth.
	PostfixAuthSocket string
	proc              *Process
}

// StartDovecot writes a configuration under a fresh directory in the system
// temp dir and runs `dovecot -c CONF -F` until both ports accept.
//
// The directory is not under t.TempDir(): Go creates those 0700, and Dovecot's
// unprivileged users (dovenull for the login processes, nobody for the mail
// processes) must traverse it.
func StartDovecot(opts DovecotOptions) (*Dovecot, error) {
	// FreePort's port was free a moment ago: a test of another package
	// running at the same time (a Postfix, an sshd) may take it before
	// Dovecot binds. Another pair of ports then, a bounded number of times.
	for attempt := 1; ; attempt++ {
		d, err := startDovecotOnce(opts)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			return d, err
		}
	}
}

func startDovecotOnce(opts DovecotOptions) (*Dovecot, error) {
	if err := RequireRoot("Dovecot"); err != nil {
		return nil, err
	}
	for _, u := range []string{"dovecot", "dovenull"} {
		if _, err := user.Lookup(u); err != nil {
			return nil, fmt.Errorf("dovecot sandbox: user %s: %w (install dovecot-core with `make deps`)", u, err)
		}
	}
	mailUser, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("dovecot sandbox: %w", err)
	}
	dir, err := os.MkdirTemp("", "mailchecks-dovecot-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	d := &Dovecot{Dir: dir, Conf: filepath.Join(dir, "dovecot.conf"), HomeRoot: filepath.Join(dir, "home")}
	ports, err := distinctFreePorts(dovecotListen(), 2)
	if err != nil {
		return nil, fmt.Errorf("dovecot sandbox: %w", err)
	}
	d.IMAPSPort, d.IMAPPort = ports[0], ports[1]
	for _, sub := range []string{"run", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(d.HomeRoot, 0o755); err != nil {
		return nil, err
	}
	uid, _ := strconv.Atoi(mailUser.Uid)
	gid, _ := strconv.Atoi(mailUser.Gid)
	if err := os.Chown(d.HomeRoot, uid, gid); err != nil {
		return nil, err
	}
	if opts.Password == "" {
		opts.Password = "secret"
	}
	version, err := DovecotVersion()
	if err != nil {
		return nil, err
	}
	d.Version = version
	conf := dovecotConf(version, dovecotSettings{
		Dir: dir, CertPath: opts.CertPath, KeyPath: opts.KeyPath, Password: opts.Password,
		AltCertPath: opts.AltCertPath, AltKeyPath: opts.AltKeyPath, MinProtocol: opts.MinProtocol,
		IMAPPort: d.IMAPPort, IMAPSPort: d.IMAPSPort, UID: mailUser.Uid, GID: mailUser.Gid,
		HomeRoot: d.HomeRoot, Mailboxes: opts.Mailboxes, Listen: dovecotListen(), PostfixAuth: opts.PostfixAuth,
	})
	if err := WriteFile(d.Conf, conf, 0o644); err != nil {
		return nil, err
	}
	d.proc, err = StartProcess("dovecot", filepath.Join(dir, "dovecot.out"), nil,
		"dovecot", "-c", d.Conf, "-F")
	if err != nil {
		return nil, err
	}
	if err := d.WaitReady(10 * time.Second); err != nil {
		d.Stop()
		return nil, err
	}
	// A greeting may come from another test's daemon that took a port
	// between FreePort and Dovecot's bind (CI saw connection refused on
	// this Dovecot's port later in a test): the master holds the
	// listeners it passes to its login processes.
	if err := listenersOwnedBy(d.proc.PID(), []int{d.IMAPSPort, d.IMAPPort}); err != nil {
		d.Stop()
		return nil, fmt.Errorf("dovecot sandbox: %w", err)
	}
	if opts.PostfixAuth {
		d.PostfixAuthSocket = filepath.Join(dir, "run", dovecotPostfixAuthListener)
		if err := d.proc.WaitFor(10*time.Second, "auth socket "+d.PostfixAuthSocket, SocketReady(d.PostfixAuthSocket)); err != nil {
			d.Stop()
			return nil, err
		}
	}
	return d, nil
}

// dovecotListen is every loopback address this host has of 127.0.0.1,
// 127.0.0.2 and ::1.
func dovecotListen() []string {
	addrs := []string{"127.0.0.1", "127.0.0.2"}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		addrs = append(addrs, "::1")
	}
	return addrs
}

// IMAPSAddr is host:port of the implicit-TLS listener on 127.0.0.1.
func (d *Dovecot) IMAPSAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.IMAPSPort)) }

// WaitReady waits until both listeners accept and the auth service is up:
// until then Dovecot greets with "* OK Waiting for authentication process to
// respond..", and a test expecting a login would race it.
func (d *Dovecot) WaitReady(timeout time.Duration) error {
	addr := net.JoinHostPort("127.0.0.2", strconv.Itoa(d.IMAPSPort))
	if err := d.proc.WaitFor(timeout, "listener on "+addr, TCPReady(addr)); err != nil {
		return fmt.Errorf("%w\ndovecot.log:\n%s", err, d.LogTail())
	}
	addr = net.JoinHostPort("127.0.0.2", strconv.Itoa(d.IMAPPort))
	if err := d.proc.WaitFor(timeout, "auth-ready greeting on "+addr, greetingReady(addr)); err != nil {
		return fmt.Errorf("%w\ndovecot.log:\n%s", err, d.LogTail())
	}
	return nil
}

// greetingReady succeeds once the plain IMAP listener greets with its
// capabilities, which Dovecot only does when auth is ready.
func greetingReady(addr string) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
		line, err := bufio.NewReaderSize(c, 4096).ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "* OK [CAPABILITY") {
			return fmt.Errorf("greeting %q", strings.TrimSpace(line))
		}
		return nil
	}
}

// Reload makes Dovecot re-read its configuration and certificates, as
// `doveadm reload` or `systemctl reload dovecot` would: SIGHUP to the master,
// which we know by PID.
func (d *Dovecot) Reload() error {
	if d.proc == nil || d.proc.Exited() {
		return ErrNotStarted
	}
	if err := syscall.Kill(d.proc.PID(), syscall.SIGHUP); err != nil {
		return err
	}
	// The master re-execs its config process and restarts the login
	// services; give it a moment, then make sure it still listens.
	time.Sleep(300 * time.Millisecond)
	return d.WaitReady(5 * time.Second)
}

// PID is the master process's ID.
func (d *Dovecot) PID() int { return d.proc.PID() }

// LogTail returns the end of Dovecot's own log, for failure messages.
func (d *Dovecot) LogTail() string { return fileTail(filepath.Join(d.Dir, "dovecot.log"), 3000) }

// Stop ends the master (and its children, one process group) and removes
// the directory. Safe to call twice.
func (d *Dovecot) Stop() {
	if d == nil {
		return
	}
	if d.proc != nil {
		d.proc.Stop()
	}
	if d.Dir != "" {
		os.RemoveAll(d.Dir)
	}
}

// StartDovecots starts one Dovecot per entry, in parallel (each takes about
// a second to come up). On any failure the ones started are stopped and
// the errors returned together.
func StartDovecots(opts map[string]DovecotOptions) (map[string]*Dovecot, error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	servers := map[string]*Dovecot{}
	for name, o := range opts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := StartDovecot(o)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("dovecot %s: %w", name, err))
				return
			}
			servers[name] = d
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		for _, d := range servers {
			d.Stop()
		}
		return nil, errors.Join(errs...)
	}
	return servers, nil
}
