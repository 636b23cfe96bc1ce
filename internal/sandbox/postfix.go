package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PostfixOptions configures a private Postfix with three smtpd services:
// submission (STARTTLS), smtps (implicit TLS) and a plain one that offers
// no STARTTLS at all.
type PostfixOptions struct {
	// CertPath and KeyPath are the served chain (leaf first) and its key
	// (smtpd_tls_cert_file, smtpd_tls_key_file). Each smtpd reads them when
	// it starts; see Reload for what that means for a renewed certificate.
	CertPath, KeyPath string
	// Hostname is myhostname, the name in the greeting and the EHLO reply;
	// "" is "mail.mailchecks.test".
	Hostname string
	// RequireTLS makes the submission service refuse mail before STARTTLS
	// (smtpd_tls_security_level=encrypt) instead of offering it (may).
	RequireTLS bool
	// AuthBeforeTLS advertises AUTH on the submission service before
	// STARTTLS (smtpd_tls_auth_only=no): the misconfiguration
	// check_smtp_tls warns about. Default: AUTH only over TLS.
	AuthBeforeTLS bool
	// SASLPath is a Dovecot auth socket Postfix may use
	// (Dovecot.PostfixAuthSocket, smtpd_sasl_type=dovecot); "" leaves AUTH
	// off on every service.
	SASLPath string
}

// Postfix is a running private Postfix: `master -c DIR` with its own
// config, queue and data directories, listening on 127.0.0.1 (and ::1
// where the host has it) on high ports chosen at start.
type Postfix struct {
	Dir       string // everything of this instance, removed by Stop
	ConfigDir string // main.cf, master.cf: `postfix -c ConfigDir …`
	QueueDir  string
	DataDir   string
	Hostname  string
	// SubmissionPort is the STARTTLS service (what port 587 is), SMTPSPort
	// the implicit-TLS one (465), PlainPort an smtpd without TLS, which
	// never offers STARTTLS.
	SubmissionPort, SMTPSPort, PlainPort int
	// Listen is every address the services listen on.
	Listen []string
	// Version is Postfix's mail_version ("3.7.11", "3.10.5").
	Version string
	// CertPath is the configured certificate file, for Reload.
	CertPath string
	proc     *Process
}

// StartPostfix writes a configuration under a fresh directory in the system
// temp dir, creates the queue (`postfix -c DIR check`), runs Postfix's
// master in the foreground and waits until every smtpd greets.
//
// The directory is not under t.TempDir(): Go creates those 0700, and
// Postfix's unprivileged daemons (user postfix) open data_directory and
// the queue by absolute path.
func StartPostfix(opts PostfixOptions) (*Postfix, error) {
	// FreePort's ports were free a moment ago: a test of another package
	// running at the same time may take one before the master binds it
	// (then the master dies, or the greeting WaitReady sees is the other
	// daemon's). Other ports then, a bounded number of times.
	for attempt := 1; ; attempt++ {
		p, err := startPostfixOnce(opts)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			return p, err
		}
	}
}

func startPostfixOnce(opts PostfixOptions) (*Postfix, error) {
	if err := RequireRoot("Postfix"); err != nil {
		return nil, err
	}
	owner, err := user.Lookup("postfix")
	if err != nil {
		return nil, fmt.Errorf("postfix sandbox: user postfix: %w (install postfix with `make deps`)", err)
	}
	if _, err := user.LookupGroup("postdrop"); err != nil {
		return nil, fmt.Errorf("postfix sandbox: group postdrop: %w (install postfix with `make deps`)", err)
	}
	version, err := PostfixVersion()
	if err != nil {
		return nil, err
	}
	daemonDir, err := postfixDaemonDir()
	if err != nil {
		return nil, err
	}
	if opts.Hostname == "" {
		opts.Hostname = "mail.mailchecks.test"
	}
	dir, err := os.MkdirTemp("", "mailchecks-postfix-")
	if err != nil {
		return nil, err
	}
	p := &Postfix{Dir: dir, ConfigDir: filepath.Join(dir, "conf"), QueueDir: filepath.Join(dir, "queue"),
		DataDir: filepath.Join(dir, "data"), Hostname: opts.Hostname, Listen: loopbackListen(),
		Version: version, CertPath: opts.CertPath}
	if err := p.prepare(opts, owner); err != nil {
		p.Stop()
		return nil, err
	}
	// master -d stays in the foreground and skips its setsid(): the
	// process StartProcess made a group leader could not call it, and in
	// our group Stop and the parent-death signal reach every Postfix
	// process. `postfix stop` and `reload` find it by its pid file.
	p.proc, err = StartProcess("postfix master", filepath.Join(dir, "master.out"), nil,
		filepath.Join(daemonDir, "master"), "-c", p.ConfigDir, "-d")
	if err != nil {
		p.Stop()
		return nil, err
	}
	if err := p.WaitReady(15 * time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	// The master holds every listener it passes to its smtpd processes.
	if err := listenersOwnedBy(p.proc.PID(), []int{p.PlainPort, p.SubmissionPort, p.SMTPSPort}); err != nil {
		p.Stop()
		return nil, fmt.Errorf("postfix sandbox: %w", err)
	}
	return p, nil
}

// prepare makes the directories, picks the ports, writes main.cf and
// master.cf and lets Postfix create its queue.
func (p *Postfix) prepare(opts PostfixOptions, owner *user.User) error {
	if err := os.Chmod(p.Dir, 0o755); err != nil {
		return err
	}
	for _, d := range []string{p.ConfigDir, p.QueueDir, p.DataDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	uid, _ := strconv.Atoi(owner.Uid)
	if err := os.Chown(p.DataDir, uid, -1); err != nil { // as Debian's package has /var/lib/postfix
		return err
	}
	// Three different ports: two master.cf services on one port share it
	// (the kernel hands each connection to either smtpd: a STARTTLS probe
	// met the smtps one and waited for a greeting that never came).
	ports, err := distinctFreePorts(p.Listen, 3)
	if err != nil {
		return fmt.Errorf("postfix sandbox: %w", err)
	}
	p.SubmissionPort, p.SMTPSPort, p.PlainPort = ports[0], ports[1], ports[2]
	s := postfixSettings{Dir: p.Dir, ConfigDir: p.ConfigDir, QueueDir: p.QueueDir, DataDir: p.DataDir,
		Hostname: opts.Hostname, CertPath: opts.CertPath, KeyPath: opts.KeyPath, SASLPath: opts.SASLPath,
		RequireTLS: opts.RequireTLS, AuthBeforeTLS: opts.AuthBeforeTLS, Listen: p.Listen,
		SubmissionPort: p.SubmissionPort, SMTPSPort: p.SMTPSPort, PlainPort: p.PlainPort}
	if err := WriteFile(filepath.Join(p.ConfigDir, "main.cf"), postfixMainCf(s), 0o644); err != nil {
		return err
	}
	if err := WriteFile(filepath.Join(p.ConfigDir, "master.cf"), postfixMasterCf(s), 0o644); err != nil {
		return err
	}
	// Postfix does not trust a configuration file modified within the last
	// second (it might be half written): dict_load_file_xt (src/util/dict.c)
	// re-reads it every 300 ms "to let it cool down", well over a second
	// per postfix command on a fresh file. Ours are complete: date them back.
	past := time.Now().Add(-time.Minute)
	for _, f := range []string{"main.cf", "master.cf"} {
		if err := os.Chtimes(filepath.Join(p.ConfigDir, f), past, past); err != nil {
			return err
		}
	}
	// `postfix check` creates the queue directories with the owners and
	// modes Postfix wants (post-install create-missing) and fails on a
	// configuration it cannot use, before the master would.
	if _, err := Run(context.Background(), nil, "postfix", "-c", p.ConfigDir, "check"); err != nil {
		return fmt.Errorf("postfix sandbox: %w\npostfix.log:\n%s", err, p.LogTail())
	}
	return nil
}

// loopbackListen is 127.0.0.1, and ::1 where the host has IPv6 loopback.
func loopbackListen() []string {
	addrs := []string{"127.0.0.1"}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		addrs = append(addrs, "::1")
	}
	return addrs
}

// SubmissionAddr, SMTPSAddr and PlainAddr are host:port on 127.0.0.1.
func (p *Postfix) SubmissionAddr() string { return p.addr("127.0.0.1", p.SubmissionPort) }
func (p *Postfix) SMTPSAddr() string      { return p.addr("127.0.0.1", p.SMTPSPort) }
func (p *Postfix) PlainAddr() string      { return p.addr("127.0.0.1", p.PlainPort) }

func (p *Postfix) addr(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// WaitReady waits until every smtpd listener greets with 220 (over TLS for
// smtps). That also starts one smtpd per listener, which reads the
// certificate now: the one a later "renewed on disk" test expects to see
// served until Reload.
func (p *Postfix) WaitReady(timeout time.Duration) error {
	for _, host := range p.Listen {
		for _, l := range []struct {
			port int
			tls  bool
		}{{p.PlainPort, false}, {p.SubmissionPort, false}, {p.SMTPSPort, true}} {
			addr := p.addr(host, l.port)
			if err := p.proc.WaitFor(timeout, "220 greeting on "+addr, smtpGreets(addr, l.tls)); err != nil {
				return fmt.Errorf("%w\npostfix.log:\n%s", err, p.LogTail())
			}
		}
	}
	return nil
}

// Reload runs `postfix -c DIR reload`, as an operator does after renewing
// the certificate: the master (HUP, by the PID in its pid file) re-reads
// its configuration and has every smtpd replaced, and the new ones read
// the certificate file again. Until then the smtpd started by WaitReady
// keeps serving the certificate it read: "renewed on disk, never
// reloaded". Reload returns once the smtps and submission listeners serve
// the leaf that is in CertPath now.
func (p *Postfix) Reload() error {
	if p.proc == nil || p.proc.Exited() {
		return ErrNotStarted
	}
	if _, err := Run(context.Background(), nil, "postfix", "-c", p.ConfigDir, "reload"); err != nil {
		return err
	}
	want, err := firstPEMCert(p.CertPath)
	if err != nil {
		return err
	}
	for _, host := range p.Listen {
		for _, l := range []struct {
			port                  int
			implicitTLS, starttls bool
		}{{p.SMTPSPort, true, false}, {p.SubmissionPort, false, true}} {
			addr := p.addr(host, l.port)
			err := p.proc.WaitFor(15*time.Second, "the certificate on disk served on "+addr, func() error {
				got, err := servedLeaf(addr, l.implicitTLS, l.starttls)
				if err != nil {
					return err
				}
				if !bytes.Equal(got, want) {
					return errors.New("still the certificate from before the reload")
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("%w\npostfix.log:\n%s", err, p.LogTail())
			}
		}
	}
	return nil
}

// PID is the master process's ID.
func (p *Postfix) PID() int { return p.proc.PID() }

// LogTail returns the end of Postfix's own log (maillog_file), for failure
// messages.
func (p *Postfix) LogTail() string { return fileTail(filepath.Join(p.Dir, "postfix.log"), 3000) }

// Stop runs `postfix -c DIR stop` (SIGTERM to the master by the PID in its
// pid file; the master ends its children), waits for the master and its
// process group to be gone, forcing it after a bound, and removes the
// directory. Safe to call twice.
func (p *Postfix) Stop() {
	if p == nil {
		return
	}
	if p.proc != nil && !p.proc.Exited() {
		pgid := p.proc.PID()
		_, _ = Run(context.Background(), nil, "postfix", "-c", p.ConfigDir, "stop")
		select {
		case <-p.proc.done:
		case <-time.After(10 * time.Second):
		}
		p.proc.Stop() // SIGTERM, then SIGKILL, to the group, if the master is still there
		waitGroupGone(pgid, 5*time.Second)
	}
	if p.Dir != "" {
		os.RemoveAll(p.Dir)
	}
}

// waitGroupGone waits until no process is left in process group pgid (the
// master's children exit on their own once it is gone), then kills what is
// left.
func waitGroupGone(pgid int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// StartPostfixWithDovecotAuth starts a Dovecot whose static passdb takes
// password for every user (serving opts' certificate for IMAP, which the
// caller may ignore) and a Postfix that authenticates through it
// (opts.SASLPath is set). On error nothing is left running.
func StartPostfixWithDovecotAuth(opts PostfixOptions, password string) (*Postfix, *Dovecot, error) {
	d, err := StartDovecot(DovecotOptions{CertPath: opts.CertPath, KeyPath: opts.KeyPath, Password: password, PostfixAuth: true})
	if err != nil {
		return nil, nil, fmt.Errorf("dovecot for SASL: %w", err)
	}
	opts.SASLPath = d.PostfixAuthSocket
	p, err := StartPostfix(opts)
	if err != nil {
		d.Stop()
		return nil, nil, err
	}
	return p, d, nil
}
