package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// These tests run check_smtp_tls against a real Postfix (internal/sandbox),
// with SASL through a real Dovecot where --login is tested, and take
// openssl s_client -verify_return_error as the reference verdict wherever
// a certificate is judged.

const testPassword = "s3cret-pw"

// perfLabels is the perfdata every run prints, whatever the state.
var perfLabels = []string{"auth_time", "connect_time", "days_left", "greeting_time", "time", "tls_time", "total_time"}

// run executes the plugin as a monitoring core would and checks the output
// contract: exactly one perfdata pipe, the same labels in every state.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := plugin.Run(info, &cli{}, args, &out)
	text := out.String()
	t.Logf("check_smtp_tls %s\n%s(exit %d)", strings.Join(args, " "), text, code)
	if n := strings.Count(text, "|"); n != 1 {
		t.Errorf("want exactly one perfdata pipe, got %d", n)
	}
	// The shared TLS judgement's fixes are Dovecot's; every one must reach
	// the operator reworded for Postfix.
	for _, dovecot := range []string{"doveconf", "reload dovecot", "doveadm reload", "10-ssl.conf", "ssl_server_cert_file", "ssl_cert", "Dovecot 2."} {
		if strings.Contains(text, dovecot) {
			t.Errorf("output names Dovecot's %q", dovecot)
		}
	}
	var labels []string
	for _, p := range sandbox.IcingaPerfdata(text) {
		labels = append(labels, p.Label)
	}
	slices.Sort(labels)
	if !slices.Equal(labels, perfLabels) {
		t.Errorf("perfdata labels %v, want %v in every state", labels, perfLabels)
	}
	return code, text
}

// expect asserts the exit code and that every fragment occurs in the output.
func expect(t *testing.T, wantCode int, fragments []string, args ...string) string {
	t.Helper()
	code, out := run(t, args...)
	if code != wantCode {
		t.Errorf("exit %d, want %d", code, wantCode)
	}
	for _, f := range fragments {
		if !strings.Contains(out, f) {
			t.Errorf("output lacks %q", f)
		}
	}
	return out
}

// opensslAccepts is the reference verdict: does openssl s_client, with
// -verify_return_error, complete a handshake with addr (after STARTTLS when
// starttls) trusting only caFile and verifying name (an IP or a host name)?
func opensslAccepts(t *testing.T, addr, caFile, name string, starttls bool) bool {
	t.Helper()
	args := []string{"s_client", "-connect", addr, "-CAfile", caFile, "-verify_return_error", "-brief"}
	if _, err := strconv.Atoi(strings.ReplaceAll(name, ".", "")); err == nil {
		args = append(args, "-verify_ip", name)
	} else {
		args = append(args, "-verify_hostname", name, "-servername", name)
	}
	if starttls {
		args = append(args, "-starttls", "smtp")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", args...)
	cmd.Stdin = strings.NewReader("QUIT\r\n")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("openssl s_client %s: timed out\n%s", addr, out)
	}
	t.Logf("openssl %s: err=%v\n%s", strings.Join(args, " "), err, out)
	return err == nil
}

// lab is one Postfix serving one certificate issued by root.
type lab struct {
	dir    string
	root   *sandbox.CA
	leaf   *sandbox.Issued
	server *sandbox.Postfix
	pwFile string
}

var names = sandbox.Leaf{CommonName: "mail.mailchecks.test", DNSNames: []string{"mail.mailchecks.test"}, IPs: []string{"127.0.0.1", "::1"}}

// newLab issues a certificate (leaf's names and dates) and starts a Postfix
// serving it; with sasl, a Dovecot takes testPassword for every user. The
// served files are copies in the lab's directory, so a test can renew them.
// Every failure is fatal: the real daemons must run here.
func newLab(t *testing.T, leaf sandbox.Leaf, opts sandbox.PostfixOptions, sasl bool) *lab {
	t.Helper()
	l := &lab{dir: t.TempDir()}
	var err error
	if l.root, err = sandbox.NewRootCA(l.dir, "SMTP Test Root"); err != nil {
		t.Fatal(err)
	}
	if l.leaf, err = l.root.Issue("mail", leaf); err != nil {
		t.Fatal(err)
	}
	opts.CertPath, opts.KeyPath = filepath.Join(l.dir, "served.pem"), filepath.Join(l.dir, "served.key")
	copyFile(t, l.leaf.ChainPath, opts.CertPath)
	copyFile(t, l.leaf.KeyPath, opts.KeyPath)
	l.pwFile = filepath.Join(l.dir, "pw")
	if err := os.WriteFile(l.pwFile, []byte(testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if sasl {
		var d *sandbox.Dovecot
		l.server, d, err = sandbox.StartPostfixWithDovecotAuth(opts, testPassword)
		if err == nil {
			t.Cleanup(d.Stop)
		}
	} else {
		l.server, err = sandbox.StartPostfix(opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.server.Stop)
	return l
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// args are the common arguments for one of the lab's ports.
func (l *lab) args(port int, more ...string) []string {
	return append([]string{"-H", "127.0.0.1", "-p", strconv.Itoa(port), "--ca-file", l.root.CertPath, "-t", "15"}, more...)
}

// Not parallel: its subtests set SMTP_PASSWORD.
func TestValidSubmissionSMTPSAndLogin(t *testing.T) {
	l := newLab(t, names, sandbox.PostfixOptions{}, true)
	p := l.server

	if !opensslAccepts(t, p.SubmissionAddr(), l.root.CertPath, "127.0.0.1", true) {
		t.Fatal("reference: openssl refuses the good certificate")
	}
	expect(t, 0, []string{"OK: SMTP STARTTLS 127.0.0.1:", "STARTTLS: advertised and accepted", "no AUTH before TLS",
		"chain trusted", "valid for 127.0.0.1", "EHLO over TLS: mail.mailchecks.test, AUTH PLAIN LOGIN"},
		l.args(p.SubmissionPort)...)
	expect(t, 0, []string{"OK: SMTPS 127.0.0.1:", "greeting: 220"}, l.args(p.SMTPSPort, "--implicit-tls")...)
	expect(t, 0, []string{"the served certificate is the one in --cert-file"}, l.args(p.SubmissionPort, "--cert-file", l.leaf.CertPath)...)

	t.Run("login", func(t *testing.T) {
		expect(t, 0, []string{"logged in as alice"}, l.args(p.SubmissionPort, "--login", "alice", "--password-file", l.pwFile)...)
		expect(t, 0, []string{"logged in as alice"}, l.args(p.SMTPSPort, "--implicit-tls", "--login", "alice", "--password-file", l.pwFile)...)
		t.Setenv("SMTP_PASSWORD", testPassword)
		out := expect(t, 0, []string{"logged in as alice"}, l.args(p.SubmissionPort, "--login", "alice", "-v")...)
		if strings.Contains(out, testPassword) {
			t.Error("the password shows in the output")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Setenv("SMTP_PASSWORD", "not-the-password")
		expect(t, 2, []string{"CRITICAL: AUTH as alice failed: AUTH PLAIN answered 535", "doveadm auth test alice"},
			l.args(p.SubmissionPort, "--login", "alice")...)
	})
	t.Run("no password", func(t *testing.T) {
		t.Setenv("SMTP_PASSWORD", "")
		expect(t, 3, []string{"UNKNOWN: --login alice needs a password"}, l.args(p.SubmissionPort, "--login", "alice")...)
	})
	t.Run("wrong name", func(t *testing.T) {
		if opensslAccepts(t, p.SubmissionAddr(), l.root.CertPath, "other.mailchecks.test", true) {
			t.Fatal("reference: openssl accepts a certificate for another name")
		}
		expect(t, 2, []string{"CRITICAL: certificate: not valid for other.mailchecks.test (it covers mail.mailchecks.test, 127.0.0.1, ::1)",
			"smtpd_tls_chain_files", "postfix reload"},
			l.args(p.SubmissionPort, "--sni", "other.mailchecks.test")...)
	})
	t.Run("STARTTLS not offered", func(t *testing.T) {
		expect(t, 2, []string{"CRITICAL: STARTTLS: the server does not advertise STARTTLS", "smtpd_tls_security_level"},
			l.args(p.PlainPort)...)
	})
	t.Run("plain port with implicit TLS", func(t *testing.T) {
		expect(t, 2, []string{"CRITICAL: TLS handshake with 127.0.0.1:" + strconv.Itoa(p.PlainPort)}, l.args(p.PlainPort, "--implicit-tls")...)
	})
	t.Run("address family", func(t *testing.T) {
		expect(t, 2, []string{"CRITICAL: DNS: cannot resolve ::1: ::1 is not an IPv4 address"},
			"-H", "::1", "-4", "-p", strconv.Itoa(p.SubmissionPort))
		// The sandbox listens on ::1 too where this host has it.
		if slices.Contains(p.Listen, "::1") {
			expect(t, 0, []string{"OK: SMTP STARTTLS [::1]:", "valid for ::1"},
				"-H", "::1", "-6", "-p", strconv.Itoa(p.SubmissionPort), "--ca-file", l.root.CertPath)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		expect(t, 2, []string{"CRITICAL: certificate: chain not trusted"},
			"-H", "127.0.0.1", "-p", strconv.Itoa(p.SubmissionPort), "--ca-file", systemOrOtherCA(t))
	})
}

// systemOrOtherCA is a CA file that does not contain the lab's root.
func systemOrOtherCA(t *testing.T) string {
	t.Helper()
	other, err := sandbox.NewRootCA(t.TempDir(), "Nobody Root")
	if err != nil {
		t.Fatal(err)
	}
	return other.CertPath
}

func TestPortClosed(t *testing.T) {
	t.Parallel()
	port := closedPort(t)
	expect(t, 2, []string{"CRITICAL: connect: 127.0.0.1:" + strconv.Itoa(port) + " refused the connection", "postconf -M"},
		"-H", "127.0.0.1", "-p", strconv.Itoa(port))
}

func TestExpiredCertificate(t *testing.T) {
	t.Parallel()
	leaf := names
	leaf.NotBefore, leaf.NotAfter = time.Now().AddDate(0, 0, -90), time.Now().AddDate(0, 0, -2)
	l := newLab(t, leaf, sandbox.PostfixOptions{}, true)
	p := l.server
	if opensslAccepts(t, p.SubmissionAddr(), l.root.CertPath, "127.0.0.1", true) {
		t.Fatal("reference: openssl accepts an expired certificate")
	}
	expect(t, 2, []string{"CRITICAL: certificate: certificate \"CN=mail.mailchecks.test\"", "expired on",
		"then postfix reload"}, l.args(p.SubmissionPort)...)
	expect(t, 2, []string{"expired on"}, l.args(p.SMTPSPort, "--implicit-tls")...)
	// No password goes to a server a client would refuse.
	out := expect(t, 2, []string{"AUTH: not attempted: password not sent"}, l.args(p.SubmissionPort, "--login", "alice", "--password-file", l.pwFile, "-v")...)
	if strings.Contains(out, "AUTH PLAIN ***") {
		t.Error("AUTH was sent to a server with an expired certificate")
	}
}

func TestAuthBeforeTLS(t *testing.T) {
	t.Parallel()
	l := newLab(t, names, sandbox.PostfixOptions{AuthBeforeTLS: true}, true)
	p := l.server
	expect(t, 1, []string{"WARNING: STARTTLS: AUTH PLAIN LOGIN is offered before TLS", "smtpd_tls_auth_only = yes"},
		l.args(p.SubmissionPort)...)
	expect(t, 0, []string{"allowed by --allow-plaintext-auth"}, l.args(p.SubmissionPort, "--allow-plaintext-auth")...)
}

func TestRenewedNotReloaded(t *testing.T) {
	t.Parallel()
	l := newLab(t, names, sandbox.PostfixOptions{}, false)
	p := l.server
	renewed, err := l.root.Issue("renewed", func() sandbox.Leaf { n := names; n.NotAfter = time.Now().AddDate(0, 0, 400); return n }())
	if err != nil {
		t.Fatal(err)
	}
	// certbot overwrites the files Postfix is configured with.
	copyFile(t, renewed.ChainPath, filepath.Join(l.dir, "served.pem"))
	copyFile(t, renewed.KeyPath, filepath.Join(l.dir, "served.key"))
	// --no-all-certificates: one connection, served by the smtpd that
	// loaded the old certificate; a second, concurrent one starts a fresh
	// smtpd that reads the renewed files (as on a real server).
	for _, args := range [][]string{l.args(p.SubmissionPort, "--no-all-certificates"), l.args(p.SMTPSPort, "--implicit-tls", "--no-all-certificates")} {
		expect(t, 1, []string{"WARNING: certificate: renewed on disk, Postfix still serves the old one (renewed but not reloaded): run postfix reload",
			"Fix: postfix reload (or systemctl reload postfix)", "certbot --deploy-hook 'postfix reload'"},
			append(args, "--cert-file", filepath.Join(l.dir, "served.pem"))...)
	}
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{l.args(p.SubmissionPort), l.args(p.SMTPSPort, "--implicit-tls")} {
		expect(t, 0, []string{"the served certificate is the one in --cert-file"}, append(args, "--cert-file", filepath.Join(l.dir, "served.pem"))...)
	}
}
