package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHConfig says how to reach the mail host.
type SSHConfig struct {
	Host           string
	Port           int
	User           string // default: the current user
	KeyFile        string
	PassphraseFile string
	AgentSocket    string   // default: $SSH_AUTH_SOCK
	KnownHosts     []string // default: ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts
}

// Address is host:port as dialled and as known_hosts is searched.
func (c SSHConfig) Address() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// SSH is the mail host over one SSH connection. Every method is bounded by
// its ctx; when the ctx given to DialSSH ends, the whole connection is closed,
// because that is the only thing that unblocks a stalled session (closing a
// session does not end Wait, and channels from Client.Dial take no
// deadlines).
type SSH struct {
	cfg    SSHConfig
	conn   net.Conn
	client *ssh.Client
	stop   func() bool
	once   sync.Once
	// deadline tells whether the connection hit -t's deadline: the kernel
	// poller may end a read at the deadline a moment before ctx reports it.
	deadline *watchedConn
	notes    []string
}

// DialSSH connects, verifies the host key against known_hosts, and logs in.
// Each phase fails in its own words, and never after ctx's deadline.
func DialSSH(ctx context.Context, cfg SSHConfig) (*SSH, error) {
	if cfg.Port == 0 {
		cfg.Port = 22
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("--ssh-port %d: want 1 to 65535", cfg.Port)
	}
	if cfg.User == "" {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("--ssh-user not given and the current user is unknown: %v", err)
		}
		cfg.User = u.Username
	}
	// OpenSSH compares host names in lower case.
	cfg.Host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(cfg.Host, "["), "]"))
	if cfg.Host == "" || strings.ContainsAny(cfg.Host, " \t\n\r,*?!|/\\") {
		return nil, fmt.Errorf("--ssh-host %q: want a host name or address", cfg.Host)
	}
	if len(cfg.KnownHosts) == 0 {
		cfg.KnownHosts = defaultKnownHosts()
	}
	verifier, err := newHostKeyVerifier(cfg.KnownHosts)
	if err != nil {
		return nil, err
	}
	keys, err := loadSigners(cfg)
	if err != nil {
		return nil, err
	}
	defer keys.close()
	s := &SSH{cfg: cfg}
	s.notes = append(verifier.notes(), keys.notes...)
	addr := cfg.Address()
	algos := verifier.hostKeyAlgorithms(cfg.Host, strconv.Itoa(cfg.Port))
	s.notes = append(s.notes, fmt.Sprintf("host key algorithms offered: %s", describeAlgos(algos)))

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if expired(ctx) {
			return nil, fmt.Errorf("SSH connect to %s stalled: no answer in time", addr)
		}
		return nil, fmt.Errorf("SSH connect to %s: %v", addr, unwrapOp(err))
	}
	// The deadline bounds the handshake and everything after it; closing on
	// ctx's end unblocks what a deadline cannot reach.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	dc := &watchedConn{Conn: conn}
	conn = dc
	s.conn, s.deadline = conn, dc
	s.stop = context.AfterFunc(ctx, func() { conn.Close() })

	var phase phaseTracker
	config := &ssh.ClientConfig{
		User: cfg.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			phase.set("auth")
			return keys.all(), nil
		})},
		HostKeyCallback: func(h string, r net.Addr, k ssh.PublicKey) error {
			phase.set("host key")
			return verifier.callback(h, r, k)
		},
		HostKeyAlgorithms: algos,
		BannerCallback: func(msg string) error {
			s.notes = append(s.notes, "login banner: "+strings.TrimSpace(msg))
			return nil
		},
		ClientVersion: "SSH-2.0-mailchecks",
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, config)
	if err != nil {
		s.Close()
		return nil, s.handshakeError(ctx, err, verifier, keys, phase.get())
	}
	s.client = ssh.NewClient(c, chans, reqs)
	if verifier.accepted != nil {
		s.notes = append(s.notes, fmt.Sprintf("host key %s %s verified", verifier.accepted.Type(), ssh.FingerprintSHA256(verifier.accepted)))
	}
	return s, nil
}

func describeAlgos(algos []string) string {
	if algos == nil {
		return "x/crypto's defaults (host not in known_hosts)"
	}
	return strings.Join(algos, ",")
}

// handshakeError names the phase that failed.
func (s *SSH) handshakeError(ctx context.Context, err error, v *hostKeyVerifier, keys *signers, phase string) error {
	addr := s.cfg.Address()
	var hk *HostKeyError
	if errors.As(err, &hk) || errors.As(v.err, &hk) {
		return hk
	}
	if expired(ctx) || isTimeout(err) {
		if phase == "auth" {
			return fmt.Errorf("SSH auth as %s at %s stalled: no answer in time", s.cfg.User, addr)
		}
		return fmt.Errorf("SSH handshake with %s stalled: no answer in time", addr)
	}
	msg := err.Error()
	if strings.Contains(msg, "unable to authenticate") {
		return &AuthError{User: s.cfg.User, Address: addr, Tried: keys.describe(), Reason: strings.TrimPrefix(msg, "ssh: handshake failed: ssh: ")}
	}
	if phase == "auth" {
		return fmt.Errorf("SSH auth as %s at %s failed: %v", s.cfg.User, addr, err)
	}
	return fmt.Errorf("SSH handshake with %s failed: %v", addr, strings.TrimPrefix(msg, "ssh: handshake failed: "))
}

type phaseTracker struct {
	mu sync.Mutex
	p  string
}

func (t *phaseTracker) set(p string) { t.mu.Lock(); t.p = p; t.mu.Unlock() }
func (t *phaseTracker) get() string  { t.mu.Lock(); defer t.mu.Unlock(); return t.p }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// Close ends the connection; safe to call more than once.
func (s *SSH) Close() error {
	s.once.Do(func() {
		if s.stop != nil {
			s.stop()
		}
		if s.client != nil {
			s.client.Close()
		}
		if s.conn != nil {
			s.conn.Close()
		}
	})
	return nil
}

// Where is "via SSH user@host:port".
func (s *SSH) Where() string { return "via SSH " + s.cfg.User + "@" + s.cfg.Address() }

// Remote is true.
func (s *SSH) Remote() bool { return true }

// Notes are what -v shows about the connection: known_hosts files, the
// algorithms offered, the verified key, the login banner.
func (s *SSH) Notes() []string { return s.notes }

// Run runs argv on the mail host; see Host. The command line is every word
// shell-quoted, behind `timeout` so that the remote process ends at the
// deadline even when the connection is gone (sshd does not kill a session's
// command when the client disappears).
func (s *SSH) Run(ctx context.Context, argv []string) (Output, error) {
	if len(argv) == 0 {
		return Output{ExitCode: -1}, errors.New("empty command")
	}
	line, err := s.commandLine(ctx, argv)
	if err != nil {
		return Output{ExitCode: -1}, err
	}
	return s.run(ctx, argv[0], line)
}

// commandLine quotes words and puts the remote-side deadline in front.
func (s *SSH) commandLine(ctx context.Context, words []string) (string, error) {
	quoted, err := ShellQuote(words)
	if err != nil {
		return "", err
	}
	if dl, ok := ctx.Deadline(); ok {
		secs := int(time.Until(dl)/time.Second) + 1
		quoted = fmt.Sprintf("timeout -k 1 %d %s", secs, quoted)
	}
	return quoted, nil
}

// maxOutput bounds what one remote command may send back.
const maxOutput = 32 << 20

// run executes a prepared command line; name is for messages.
func (s *SSH) run(ctx context.Context, name, line string) (Output, error) {
	out := Output{ExitCode: -1}
	where := s.cfg.Address()
	sess, err := s.client.NewSession()
	if err != nil {
		if expired(ctx) {
			return out, fmt.Errorf("%s over SSH: opening a session on %s stalled", name, where)
		}
		return out, fmt.Errorf("%s over SSH: %s refused a session: %v", name, where, err)
	}
	defer sess.Close()
	stdout, stderr := &cappedBuffer{max: maxOutput}, &cappedBuffer{max: maxOutput}
	sess.Stdout, sess.Stderr = stdout, stderr
	mark := newMark()
	err = sess.Run(mark.wrap(line))
	var started bool
	out.Stdout, started = mark.strip(stdout.Bytes())
	out.Stderr, _ = mark.strip(stderr.Bytes())
	if !started && !expired(ctx) && (err == nil || errors.As(err, new(*ssh.ExitError))) {
		return Output{ExitCode: -1}, fmt.Errorf("%s over SSH: the mail host's shell did not run the command (a forced command= in authorized_keys, or a shell that is not POSIX?)%s", name, stderrNote(out.Stderr))
	}
	var exitErr *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case expired(ctx) || s.deadline.hit.Load():
		return out, fmt.Errorf("%s over SSH: no answer: timed out", name)
	case errors.As(err, &exitErr):
		if exitErr.Signal() == "" {
			out.ExitCode = exitErr.ExitStatus()
		}
		return out, nil
	case errors.As(err, &missing):
		return out, fmt.Errorf("%s over SSH: the command ended without an exit status (session closed by %s)", name, where)
	case err != nil:
		return out, fmt.Errorf("%s over SSH: %v", name, err)
	}
	if stdout.over || stderr.over {
		return out, fmt.Errorf("%s over SSH: output over %d bytes", name, maxOutput)
	}
	out.ExitCode = 0
	return out, nil
}

// startMark separates what the mail host's shell prints before running a
// command (a greeting from .bashrc, a "mesg: ttyname failed") from the
// command's own output: the shell prints a fresh random line on stdout and
// stderr, then execs the command, and everything up to that line is dropped.
type startMark string

func newMark() startMark {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return startMark("MCRUN" + hex.EncodeToString(b))
}

func (m startMark) wrap(line string) string {
	return fmt.Sprintf("printf '%%s\\n' %s; printf '%%s\\n' %s >&2; exec %s", m, m, line)
}

// strip drops everything up to and including the mark; started is false
// when the mark never came (the shell did not run what was sent).
func (m startMark) strip(b []byte) (rest []byte, started bool) {
	i := bytes.Index(b, []byte(string(m)+"\n"))
	if i < 0 {
		return b, false
	}
	return b[i+len(m)+1:], true
}

// cappedBuffer keeps the first max bytes and notes that there was more.
type cappedBuffer struct {
	buf  []byte
	max  int
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - len(b.buf); n > room {
		b.over = true
		p = p[:max(room, 0)]
	}
	b.buf = append(b.buf, p...)
	return n, nil // the rest is dropped, not refused: the command must not block
}

func (b *cappedBuffer) Bytes() []byte { return b.buf }

// expired: ctx has ended, or its deadline has passed. The connection
// carries the same deadline and may fail a moment before ctx's own timer
// fires; that failure is the deadline too, not a server's doing.
// watchedConn records whether a read or write ended at the deadline.
type watchedConn struct {
	net.Conn
	hit atomic.Bool
}

func (c *watchedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.note(err)
	return n, err
}

func (c *watchedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.note(err)
	return n, err
}

func (c *watchedConn) note(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.hit.Store(true)
	}
}

func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
