package smtpdialog

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// The dialogue against a real Postfix (the sandbox's, SASL through a real
// Dovecot): every path check_smtp_tls will take.

const (
	labPassword = "p4ss-w0rd"
	labHost     = "mail.mailchecks.test"
)

type postfixLab struct {
	server *sandbox.Postfix
	roots  *x509.CertPool
}

func startLab(t *testing.T, opts sandbox.PostfixOptions) *postfixLab {
	t.Helper()
	dir := t.TempDir()
	root, err := sandbox.NewRootCA(dir, "Dialogue Test Root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := root.Issue("mail", sandbox.Leaf{CommonName: labHost, DNSNames: []string{labHost}})
	if err != nil {
		t.Fatal(err)
	}
	opts.CertPath, opts.KeyPath = leaf.ChainPath, leaf.KeyPath
	p, d, err := sandbox.StartPostfixWithDovecotAuth(opts, labPassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	t.Cleanup(p.Stop)
	pem, err := os.ReadFile(root.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return &postfixLab{server: p, roots: roots}
}

// tlsConfig is what the caller (the TLS engine) would make; here a
// verifying one, so a handshake that passes proves the right certificate.
func (l *postfixLab) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: labHost, RootCAs: l.roots, MinVersion: tls.VersionTLS12}
}

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, host string, port int) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// greetAndHello runs the clear-text part and checks the greeting.
func greetAndHello(t *testing.T, c *Client) Extensions {
	t.Helper()
	ctx := ctx10(t)
	g, err := c.Greeting(ctx)
	if err != nil || g.Code != 220 || g.Lines[0] != labHost+" ESMTP Postfix" {
		t.Fatalf("greeting %+v, %v", g, err)
	}
	ext, _, err := c.Hello(ctx, "monitor.test")
	if err != nil {
		t.Fatal(err)
	}
	if ext.Domain != labHost || !ext.Pipelining || ext.Size != 10240000 {
		t.Errorf("EHLO extensions %+v", ext)
	}
	return ext
}

// TestAgainstPostfix runs the paths of one Postfix with the defaults
// (STARTTLS offered, AUTH only over TLS), beside the AUTH-before-TLS one.
func TestAgainstPostfix(t *testing.T) {
	t.Parallel()
	l := startLab(t, sandbox.PostfixOptions{Hostname: labHost})
	t.Run("submission", func(t *testing.T) { postfixSubmission(t, l) })
	t.Run("AUTH LOGIN", func(t *testing.T) { postfixAuthLogin(t, l) })
	t.Run("SMTPS", func(t *testing.T) { postfixSMTPS(t, l) })
	t.Run("no STARTTLS", func(t *testing.T) { postfixNoSTARTTLS(t, l) })
	t.Run("handshake refused by the caller", func(t *testing.T) { postfixHandshakeRefusedByCallerConfig(t, l) })
}

func postfixSubmission(t *testing.T, l *postfixLab) {
	for _, host := range l.server.Listen {
		t.Run(host, func(t *testing.T) {
			ctx := ctx10(t)
			c := New(dial(t, host, l.server.SubmissionPort))
			ext := greetAndHello(t, c)
			if !ext.StartTLS || ext.AuthAdvertised() {
				t.Errorf("before TLS: STARTTLS %v, AUTH %v (smtpd_tls_auth_only=yes hides AUTH)", ext.StartTLS, ext.Auth)
			}
			if _, err := c.Auth(ctx, "PLAIN", "alice", labPassword); !errors.Is(err, ErrNotOverTLS) {
				t.Errorf("AUTH before TLS: %v", err)
			}
			state, err := c.StartTLS(ctx, l.tlsConfig())
			if err != nil {
				t.Fatal(err)
			}
			if !state.HandshakeComplete || state.PeerCertificates[0].Subject.CommonName != labHost || c.TLS() == nil {
				t.Errorf("TLS state %+v", state)
			}
			ext, _, err = c.Hello(ctx, "monitor.test")
			if err != nil {
				t.Fatal(err)
			}
			if ext.StartTLS || !slices.Equal(ext.Auth, []string{"PLAIN", "LOGIN"}) || ChooseMechanism(ext) != "PLAIN" {
				t.Errorf("EHLO over TLS: STARTTLS %v, AUTH %v", ext.StartTLS, ext.Auth)
			}
			// A wrong password first: Postfix lets the client try again.
			_, err = c.Auth(ctx, "PLAIN", "alice", "wrong")
			var re *ReplyError
			if !errors.As(err, &re) || re.Reply.Code != 535 {
				t.Errorf("wrong password: %v", err)
			}
			if rep, err := c.Auth(ctx, "PLAIN", "alice", labPassword); err != nil || rep.Code != 235 {
				t.Errorf("AUTH PLAIN: %+v, %v", rep, err)
			}
			if rep, err := c.Quit(ctx); err != nil || rep.Code != 221 {
				t.Errorf("QUIT: %+v, %v", rep, err)
			}
			for _, line := range c.Transcript() {
				if strings.Contains(line, labPassword) || strings.Contains(line, "cDRzcy13MHJk") {
					t.Errorf("transcript shows the password: %q", line)
				}
			}
		})
	}
}

func postfixAuthLogin(t *testing.T, l *postfixLab) {
	for _, tc := range []struct {
		password string
		code     int
	}{{labPassword, 235}, {"wrong", 535}} {
		ctx := ctx10(t)
		c := New(dial(t, "127.0.0.1", l.server.SubmissionPort))
		greetAndHello(t, c)
		if _, err := c.StartTLS(ctx, l.tlsConfig()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Hello(ctx, "monitor.test"); err != nil {
			t.Fatal(err)
		}
		rep, err := c.Auth(ctx, "LOGIN", "alice", tc.password)
		var re *ReplyError
		if rep.Code != tc.code || (tc.code == 235) != (err == nil) || (err != nil && !errors.As(err, &re)) {
			t.Errorf("AUTH LOGIN with %q: %+v, %v", tc.password, rep, err)
		}
		_, _ = c.Quit(ctx)
	}
}

func postfixSMTPS(t *testing.T, l *postfixLab) {
	for _, host := range l.server.Listen {
		t.Run(host, func(t *testing.T) {
			ctx := ctx10(t)
			tc := tls.Client(dial(t, host, l.server.SMTPSPort), l.tlsConfig())
			if err := tc.HandshakeContext(ctx); err != nil {
				t.Fatal(err)
			}
			c := New(tc)
			ext := greetAndHello(t, c)
			if ext.StartTLS || ChooseMechanism(ext) != "PLAIN" {
				t.Errorf("SMTPS EHLO: STARTTLS %v, AUTH %v", ext.StartTLS, ext.Auth)
			}
			if rep, err := c.Auth(ctx, "PLAIN", "alice", labPassword); err != nil || rep.Code != 235 {
				t.Errorf("AUTH PLAIN: %+v, %v", rep, err)
			}
			if _, err := c.Quit(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

// STARTTLS not offered (the plain smtpd): the dialogue reports it in the
// extensions, and a client that asks anyway gets Postfix's refusal.
func postfixNoSTARTTLS(t *testing.T, l *postfixLab) {
	ctx := ctx10(t)
	c := New(dial(t, "127.0.0.1", l.server.PlainPort))
	ext := greetAndHello(t, c)
	if ext.StartTLS || ext.AuthAdvertised() {
		t.Errorf("plain service: STARTTLS %v, AUTH %v", ext.StartTLS, ext.Auth)
	}
	_, err := c.StartTLS(ctx, l.tlsConfig())
	var re *ReplyError
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepStartTLS || !errors.As(err, &re) || re.Reply.Code/100 != 5 {
		t.Errorf("STARTTLS where it is not offered: %v", err)
	}
	if _, err := c.Quit(ctx); err != nil {
		t.Error(err)
	}
}

// AUTH advertised before STARTTLS (smtpd_tls_auth_only = no) is visible in
// the first EHLO; the client still refuses to send the password in clear.
func TestPostfixAuthBeforeTLS(t *testing.T) {
	t.Parallel()
	l := startLab(t, sandbox.PostfixOptions{Hostname: labHost, AuthBeforeTLS: true})
	ctx := ctx10(t)
	c := New(dial(t, "127.0.0.1", l.server.SubmissionPort))
	ext := greetAndHello(t, c)
	if !ext.StartTLS || !slices.Equal(ext.Auth, []string{"PLAIN", "LOGIN"}) {
		t.Errorf("before TLS: STARTTLS %v, AUTH %v", ext.StartTLS, ext.Auth)
	}
	if _, err := c.Auth(ctx, "PLAIN", "alice", labPassword); !errors.Is(err, ErrNotOverTLS) {
		t.Errorf("AUTH before TLS: %v", err)
	}
	if _, err := c.StartTLS(ctx, l.tlsConfig()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Hello(ctx, "monitor.test"); err != nil {
		t.Fatal(err)
	}
	if rep, err := c.Auth(ctx, "PLAIN", "alice", labPassword); err != nil || rep.Code != 235 {
		t.Errorf("AUTH over TLS: %+v, %v", rep, err)
	}
}

// A certificate the caller's configuration refuses fails in the TLS step;
// the dialogue itself judges nothing.
func postfixHandshakeRefusedByCallerConfig(t *testing.T, l *postfixLab) {
	ctx := ctx10(t)
	c := New(dial(t, "127.0.0.1", l.server.SubmissionPort))
	greetAndHello(t, c)
	cfg := l.tlsConfig()
	cfg.ServerName = "other.example.org"
	_, err := c.StartTLS(ctx, cfg)
	var se *StepError
	var host x509.HostnameError
	if !errors.As(err, &se) || se.Step != StepTLS || !errors.As(err, &host) {
		t.Errorf("wrong name: %v", err)
	}
}
