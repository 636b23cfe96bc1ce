package sandbox

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests hold the Postfix sandbox to what a real client sees, with
// openssl s_client (Debian's OpenSSL, -verify_return_error) as the
// reference for everything after the handshake and a plain TCP exchange for
// the greeting and EHLO before it.

const postfixTestPassword = "s3cret-pw"

type postfixLab struct {
	root   *CA
	leaf   *Issued
	dir    string
	server *Postfix
}

// startPostfixLab issues a certificate for the sandbox's hostname, starts a
// Dovecot for SASL when sasl is set, and a Postfix serving the certificate.
// Every failure is fatal: the real daemons must run here.
func startPostfixLab(t *testing.T, opts PostfixOptions, sasl bool) *postfixLab {
	t.Helper()
	l := &postfixLab{dir: t.TempDir()}
	var err error
	if l.root, err = NewRootCA(l.dir, "Postfix Test Root"); err != nil {
		t.Fatal(err)
	}
	if l.leaf, err = l.root.Issue("mail", Leaf{CommonName: "mail.mailchecks.test",
		DNSNames: []string{"mail.mailchecks.test"}, IPs: []string{"127.0.0.1", "::1"}}); err != nil {
		t.Fatal(err)
	}
	if opts.CertPath == "" {
		opts.CertPath, opts.KeyPath = l.leaf.ChainPath, l.leaf.KeyPath
	}
	start := time.Now()
	if sasl {
		var d *Dovecot
		l.server, d, err = StartPostfixWithDovecotAuth(opts, postfixTestPassword)
		if err == nil {
			t.Cleanup(d.Stop)
		}
	} else {
		l.server, err = StartPostfix(opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("postfix %s ready in %s", l.server.Version, time.Since(start).Round(time.Millisecond))
	t.Cleanup(l.server.Stop)
	return l
}

// plainEHLO connects without TLS and returns the greeting and the EHLO reply.
func plainEHLO(t *testing.T, addr string) (greeting, ehlo string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	greeting = readReply(t, r)
	if _, err := io.WriteString(c, "EHLO client.test\r\n"); err != nil {
		t.Fatal(err)
	}
	ehlo = readReply(t, r)
	_, _ = io.WriteString(c, "QUIT\r\n")
	return greeting, ehlo
}

// readReply reads one SMTP reply, all its lines.
func readReply(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading reply after %q: %v", b.String(), err)
		}
		b.WriteString(line)
		if len(line) < 4 || line[3] != '-' {
			return b.String()
		}
	}
}

// sClient is a running openssl s_client whose output the test reads line
// by line, sending the next command only once the reply it waits for came:
// Postfix 3.9+ drops clients that pipeline where RFC 2920 forbids it.
type sClient struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	seen  strings.Builder
}

func startSClient(t *testing.T, caFile string, args ...string) *sClient {
	t.Helper()
	argv := append([]string{"s_client", "-CAfile", caFile, "-verify_return_error", "-ign_eof", "-crlf", "-showcerts"}, args...)
	cmd := exec.Command("openssl", argv...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &sClient{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 1000)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return s
}

// expect reads output until a line contains want; it fails after 15 s or
// at the end of output.
func (s *sClient) expect(want string) {
	s.t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("s_client ended before %q; output:\n%s", want, s.seen.String())
			}
			s.seen.WriteString(line + "\n")
			if strings.Contains(line, want) {
				return
			}
		case <-timeout:
			s.t.Fatalf("no %q from s_client within 15 s; output:\n%s", want, s.seen.String())
		}
	}
}

func (s *sClient) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.stdin, line+"\n"); err != nil {
		s.t.Fatal(err)
	}
}

// servedLeaf is the first certificate s_client printed (-showcerts).
func (s *sClient) servedLeaf() []byte {
	s.t.Helper()
	block, _ := pem.Decode([]byte(s.seen.String()[strings.Index(s.seen.String(), "-----BEGIN CERTIFICATE-----"):]))
	if block == nil {
		s.t.Fatalf("no certificate in s_client output:\n%s", s.seen.String())
	}
	return block.Bytes
}

func authPlain(user, password string) string {
	return "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+password))
}

func mustPEMCert(t *testing.T, path string) []byte {
	t.Helper()
	der, err := firstPEMCert(path)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestPostfixSubmissionSTARTTLS(t *testing.T) {
	l := startPostfixLab(t, PostfixOptions{}, true)
	p := l.server
	for _, host := range p.Listen {
		greeting, ehlo := plainEHLO(t, net.JoinHostPort(host, strconv.Itoa(p.SubmissionPort)))
		if !strings.HasPrefix(greeting, "220 mail.mailchecks.test ESMTP") {
			t.Errorf("%s: greeting %q", host, greeting)
		}
		if !strings.Contains(ehlo, "250-STARTTLS") || strings.Contains(ehlo, "AUTH") {
			t.Errorf("%s: EHLO before TLS should offer STARTTLS and no AUTH (smtpd_tls_auth_only):\n%s", host, ehlo)
		}
	}

	s := startSClient(t, l.root.CertPath, "-starttls", "smtp", "-connect", p.SubmissionAddr(), "-servername", "mail.mailchecks.test")
	s.expect("Verify return code: 0 (ok)")
	if !bytes.Equal(s.servedLeaf(), mustPEMCert(t, l.leaf.CertPath)) {
		t.Error("served certificate is not the configured one")
	}
	s.send("EHLO client.test")
	s.expect("250-AUTH PLAIN LOGIN")
	s.send(authPlain("alice", "wrong"))
	s.expect("535 5.7.8")
	s.send(authPlain("alice", postfixTestPassword))
	s.expect("235 2.7.0 Authentication successful")
	s.send("QUIT")
	s.expect("221 2.0.0")
}

func TestPostfixSMTPS(t *testing.T) {
	l := startPostfixLab(t, PostfixOptions{}, true)
	for _, host := range l.server.Listen {
		s := startSClient(t, l.root.CertPath, "-connect", net.JoinHostPort(host, strconv.Itoa(l.server.SMTPSPort)))
		s.expect("Verify return code: 0 (ok)")
		s.expect("220 mail.mailchecks.test ESMTP")
		if !bytes.Equal(s.servedLeaf(), mustPEMCert(t, l.leaf.CertPath)) {
			t.Errorf("%s: served certificate is not the configured one", host)
		}
		s.send("EHLO client.test")
		s.expect("250-AUTH PLAIN LOGIN")
		s.send(authPlain("alice", postfixTestPassword))
		s.expect("235 2.7.0 Authentication successful")
		s.send("QUIT")
		s.expect("221 2.0.0")
	}
	// The plain service offers neither TLS nor AUTH.
	_, ehlo := plainEHLO(t, l.server.PlainAddr())
	if strings.Contains(ehlo, "STARTTLS") || strings.Contains(ehlo, "AUTH") || !strings.Contains(ehlo, "250 ") {
		t.Errorf("plain service EHLO:\n%s", ehlo)
	}
}

func TestPostfixAuthBeforeTLS(t *testing.T) {
	l := startPostfixLab(t, PostfixOptions{AuthBeforeTLS: true}, true)
	_, ehlo := plainEHLO(t, l.server.SubmissionAddr())
	if !strings.Contains(ehlo, "250-STARTTLS") || !strings.Contains(ehlo, "AUTH PLAIN LOGIN") {
		t.Errorf("EHLO before TLS should offer STARTTLS and AUTH (smtpd_tls_auth_only=no):\n%s", ehlo)
	}
}

// RequireTLS (smtpd_tls_security_level=encrypt) refuses mail before
// STARTTLS; it implies smtpd_tls_auth_only, so AUTH stays hidden even with
// AuthBeforeTLS, as Postfix documents.
func TestPostfixRequireTLS(t *testing.T) {
	l := startPostfixLab(t, PostfixOptions{RequireTLS: true, AuthBeforeTLS: true}, true)
	_, ehlo := plainEHLO(t, l.server.SubmissionAddr())
	if !strings.Contains(ehlo, "250-STARTTLS") || strings.Contains(ehlo, "AUTH") {
		t.Errorf("EHLO before TLS with smtpd_tls_security_level=encrypt:\n%s", ehlo)
	}
	c, err := net.DialTimeout("tcp", l.server.SubmissionAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	readReply(t, r)
	_, _ = io.WriteString(c, "EHLO client.test\r\n")
	readReply(t, r)
	_, _ = io.WriteString(c, "MAIL FROM:<a@client.test>\r\n")
	if reply := readReply(t, r); !strings.HasPrefix(reply, "530 5.7.0 Must issue a STARTTLS command first") {
		t.Errorf("MAIL before STARTTLS with smtpd_tls_security_level=encrypt: %q", reply)
	}
}

func TestPostfixReloadServesRenewedCertificate(t *testing.T) {
	dir := t.TempDir()
	root, err := NewRootCA(dir, "Reload Root")
	if err != nil {
		t.Fatal(err)
	}
	old, err := root.Issue("old", Leaf{CommonName: "mail.mailchecks.test", DNSNames: []string{"mail.mailchecks.test"}})
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := root.Issue("renewed", Leaf{CommonName: "mail.mailchecks.test", DNSNames: []string{"mail.mailchecks.test"}})
	if err != nil {
		t.Fatal(err)
	}
	// The served files are copies we overwrite, as certbot does.
	served, key := filepath.Join(dir, "served.pem"), filepath.Join(dir, "served.key")
	copyTo(t, old.ChainPath, served)
	copyTo(t, old.KeyPath, key)
	p, err := StartPostfix(PostfixOptions{CertPath: served, KeyPath: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)

	leafServed := func(addr string, starttls bool) []byte {
		args := []string{"-connect", addr}
		if starttls {
			args = append(args, "-starttls", "smtp")
		}
		s := startSClient(t, root.CertPath, args...)
		s.expect("Verify return code: 0 (ok)")
		return s.servedLeaf()
	}
	copyTo(t, renewed.ChainPath, served)
	copyTo(t, renewed.KeyPath, key)
	// Renewed on disk, not reloaded: the running smtpds keep the old one.
	for _, tc := range []struct {
		addr     string
		starttls bool
	}{{p.SubmissionAddr(), true}, {p.SMTPSAddr(), false}} {
		if !bytes.Equal(leafServed(tc.addr, tc.starttls), mustPEMCert(t, old.CertPath)) {
			t.Errorf("%s before reload: not the old certificate", tc.addr)
		}
	}
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr     string
		starttls bool
	}{{p.SubmissionAddr(), true}, {p.SMTPSAddr(), false}} {
		if !bytes.Equal(leafServed(tc.addr, tc.starttls), mustPEMCert(t, renewed.CertPath)) {
			t.Errorf("%s after reload: not the renewed certificate", tc.addr)
		}
	}
}

func TestPostfixStopEndsEveryProcess(t *testing.T) {
	l := startPostfixLab(t, PostfixOptions{}, false)
	p := l.server
	pid, dir := p.PID(), p.Dir
	pidFile, err := os.ReadFile(filepath.Join(p.QueueDir, "pid", "master.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(pidFile)) != strconv.Itoa(pid) {
		t.Fatalf("master.pid says %q, the master we started is %d", pidFile, pid)
	}
	p.Stop()
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still has processes after Stop (kill: %v)", pid, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after Stop: %v", dir, err)
	}
	if _, err := net.DialTimeout("tcp", p.SubmissionAddr(), time.Second); err == nil {
		t.Error("submission port still accepts after Stop")
	}
}

func copyTo(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
