package smtptls

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/smtpdialog"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

func TestModeByPort(t *testing.T) {
	for _, c := range []struct {
		cfg      Config
		implicit bool
		port     int
	}{
		{Config{}, false, 587},
		{Config{Port: 465}, true, 465},
		{Config{Port: 25}, false, 25},
		{Config{Port: 465, StartTLS: true}, false, 465},
		{Config{Port: 2525, ImplicitTLS: true}, true, 2525},
	} {
		if c.cfg.implicit() != c.implicit || c.cfg.port() != c.port {
			t.Errorf("%+v: implicit %v port %d, want %v %d", c.cfg, c.cfg.implicit(), c.cfg.port(), c.implicit, c.port)
		}
	}
}

// A session without an error but without the facts an OK speaks about
// (a gather bug) must never come out OK.
func TestNoOKWithoutFacts(t *testing.T) {
	cfg := Config{Host: "127.0.0.1"}
	cfg.TLS.Defaults()
	f := Facts{Now: time.Now(), Port: 587, Sessions: []Session{{
		TLS:      tlsjudge.Session{Addr: netip.MustParseAddrPort("127.0.0.1:587")},
		Greeting: smtpdialog.Reply{Code: 220},
		PlainExt: smtpdialog.Extensions{StartTLS: true},
	}}}
	r := Evaluate(cfg, f)
	if r.State() == plugin.OK {
		t.Fatalf("OK without a handshake or a certificate:\n%+v", r)
	}
	if !strings.Contains(r.Summary, "check incomplete") {
		t.Errorf("summary %q does not say the check is incomplete", r.Summary)
	}
}

// Every fix of the shared TLS judgement names Postfix's settings and
// reload, never Dovecot's: one session that trips every TLS finding.
func TestTLSFixesInPostfixWords(t *testing.T) {
	now := time.Now()
	cert := func(serial int64, notAfter time.Time) *x509.Certificate {
		return &x509.Certificate{Raw: []byte{byte(serial)}, SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "mail.example.org"},
			Issuer: pkix.Name{CommonName: "Some CA"}, NotBefore: now.AddDate(0, 0, -90), NotAfter: notAfter}
	}
	served := cert(1, now.AddDate(0, 0, -1))
	cfg := Config{Host: "mail.example.org"}
	cfg.TLS.Defaults()
	s := Session{TLS: tlsjudge.Session{Addr: netip.MustParseAddrPort("192.0.2.1:587"), Handshaked: true, TLSVersion: tls.VersionTLS11,
		Chain: []*x509.Certificate{served},
		Cert: tlsjudge.ChainCheck{Name: "other.example.org", TrustErr: x509.UnknownAuthorityError{}, NameErr: errors.New("no match"),
			Refusals: []tlsjudge.Refusal{{Text: "certificate: weak key", Fix: "issue a new key", NewKey: true, Reload: true}}}},
		Greeting: smtpdialog.Reply{Code: 220}, PlainExt: smtpdialog.Extensions{StartTLS: true}}
	r := Evaluate(cfg, Facts{Now: now, Port: 587, Sessions: []Session{s}, DiskCert: cert(2, now.AddDate(0, 0, 60))})
	var all []string
	for _, fd := range r.Findings {
		all = append(all, fd.Text+" | "+fd.Fix)
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{"below --min-tls", "smtpd_tls_protocols", "chain not trusted", "smtpd_tls_chain_files (or smtpd_tls_cert_file) in main.cf",
		"weak key | issue a new key, set smtpd_tls_chain_files", "not valid for other.example.org", "expired on",
		"renewed on disk, Postfix still serves the old one", "certbot --deploy-hook 'postfix reload'"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the findings:\n%s", want, text)
		}
	}
	if strings.Contains(strings.ToLower(text), "dove") {
		t.Errorf("a finding names Dovecot:\n%s", text)
	}
}
