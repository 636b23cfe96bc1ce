package imaptls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// TestNeverFalseOK takes facts that are complete and OK and breaks them one
// way at a time, including in ways gather never produces (facts that
// contradict each other, or are missing without an error saying why): OK
// must be impossible whenever a fact it speaks about is missing or bad.
func TestNeverFalseOK(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	leaf := pki.leaf(t, now.AddDate(0, 0, -1), now.AddDate(0, 0, 200)).Leaf
	good := func() Session {
		return Session{Session: tlsjudge.Session{Addr: netip.MustParseAddrPort("192.0.2.10:993"), Connect: time.Millisecond, Handshake: time.Millisecond, Total: 3 * time.Millisecond, Handshaked: true, TLSVersion: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, Chain: []*x509.Certificate{leaf}, Cert: tlsjudge.ChainCheck{Name: "mail.example.org", AcceptedNow: true, Verified: []*x509.Certificate{leaf, pki.caCert}}}, Greeting: parseResponse("* OK [CAPABILITY IMAP4rev1] ready"), Caps: []string{"IMAP4rev1"}, LoggedIn: true, Selected: true}
	}
	cfg := Config{Host: "mail.example.org", Login: "monitor", Select: "INBOX"}
	facts := func(ss ...Session) Facts { return Facts{Now: now, Port: 993, Sessions: ss} }

	// The unbroken facts are OK: otherwise the table proves nothing.
	if r := Evaluate(cfg, facts(good())); r.State() != plugin.OK {
		t.Fatalf("baseline: %v %q", r.State(), r.Summary)
	}
	fail := errors.New("boom")
	for _, c := range []struct {
		name  string
		facts func() Facts
	}{
		{"no session at all", func() Facts { return facts() }},
		{"resolve failed", func() Facts {
			f := facts()
			f.ResolveErr = &tlsjudge.PhaseError{Phase: tlsjudge.PhaseResolve, Err: fail}
			return f
		}},
		{"a chain with no leaf", func() Facts { s := good(); s.Chain = nil; return facts(s) }},
		{"no verdict on the chain", func() Facts { s := good(); s.Cert = tlsjudge.ChainCheck{}; return facts(s) }},
		{"verified chain missing", func() Facts { s := good(); s.Cert.Verified = nil; return facts(s) }},
		{"not accepted, no reason given", func() Facts { s := good(); s.Cert.AcceptedNow = false; return facts(s) }},
		{"trust error", func() Facts { s := good(); s.Cert.TrustErr = fail; return facts(s) }},
		{"name error", func() Facts { s := good(); s.Cert.NameErr = fail; return facts(s) }},
		{"a client refusal", func() Facts { s := good(); s.Cert.Refusals = []tlsjudge.Refusal{{Text: "weak"}}; return facts(s) }},
		{"handshake errored", func() Facts {
			s := good()
			s.Handshaked, s.Err = false, &tlsjudge.PhaseError{Phase: tlsjudge.PhaseTLS, Err: fail}
			return facts(s)
		}},
		{"no handshake, no error", func() Facts { s := good(); s.Handshaked = false; return facts(s) }},
		{"no TLS version", func() Facts { s := good(); s.TLSVersion = 0; return facts(s) }},
		{"missing greeting, no error", func() Facts { s := good(); s.Greeting = response{}; return facts(s) }},
		{"greeting BYE", func() Facts { s := good(); s.Greeting = parseResponse("* BYE no"); return facts(s) }},
		{"tagged greeting", func() Facts { s := good(); s.Greeting = parseResponse("a1 OK hi"); return facts(s) }},
		{"greeting failed", func() Facts {
			s := good()
			s.Greeting, s.Err = response{}, &tlsjudge.PhaseError{Phase: PhaseGreeting, Kind: tlsjudge.KindClosed, Err: fail}
			return facts(s)
		}},
		{"not logged in, no reason", func() Facts { s := good(); s.LoggedIn = false; return facts(s) }},
		{"login skipped", func() Facts { s := good(); s.LoggedIn, s.LoginSkipped = false, "no"; return facts(s) }},
		{"not selected, no reason", func() Facts { s := good(); s.Selected = false; return facts(s) }},
		{"an error in a phase evaluate does not know", func() Facts {
			s := good()
			s.Err = &tlsjudge.PhaseError{Phase: "SOMETHING NEW", Err: fail}
			return facts(s)
		}},
		{"a second address failed", func() Facts {
			bad := good()
			bad.Err, bad.Handshaked = &tlsjudge.PhaseError{Phase: tlsjudge.PhaseConnect, Kind: tlsjudge.KindRefused, Err: fail}, false
			return facts(good(), bad)
		}},
	} {
		f := c.facts()
		cf := cfg
		if c.name == "a second address failed" {
			cf.AllAddresses = true
		}
		r := Evaluate(cf, f)
		if r.State() == plugin.OK {
			t.Errorf("%s: OK %q", c.name, r.Summary)
		}
	}
}
