package imaptls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/linereader"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

func TestEvaluate(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	cert := func(daysLeft int) *x509.Certificate {
		return pki.leaf(t, now.AddDate(0, 0, -60), now.Add(time.Duration(daysLeft)*24*time.Hour+time.Hour)).Leaf
	}
	good := cert(200)
	addr := netip.MustParseAddrPort("192.0.2.10:993")
	verified := func(c *x509.Certificate) tlsjudge.ChainCheck {
		return tlsjudge.ChainCheck{Name: "mail.example.org", AcceptedNow: true, Verified: []*x509.Certificate{c, pki.caCert}}
	}
	okSession := func() Session {
		return Session{Session: tlsjudge.Session{Addr: addr, Connect: time.Millisecond, Handshake: 5 * time.Millisecond, GreetingTime: time.Millisecond, Total: 9 * time.Millisecond, Handshaked: true, TLSVersion: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, Chain: []*x509.Certificate{good}, Cert: verified(good)}, Greeting: parseResponse("* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] Dovecot ready."), Caps: []string{"IMAP4rev1", "IDLE", "AUTH=PLAIN"}}
	}
	baseCfg := func() Config {
		c := Config{Host: "mail.example.org", MinTLS: tlsjudge.TLSVersion(tls.VersionTLS12)}
		c.Warning, _ = tlsjudge.ParseExpiry("30")
		c.Critical, _ = tlsjudge.ParseExpiry("14")
		return c
	}
	phase := func(p tlsjudge.Phase, k tlsjudge.Kind, err error) *tlsjudge.PhaseError {
		return &tlsjudge.PhaseError{Phase: p, Kind: k, Err: err, After: 2 * time.Second}
	}
	type tc struct {
		name  string
		cfg   func(*Config)
		facts func(*Facts)
		state plugin.State
		first string   // prefix of the summary
		want  []string // fragments of findings (text or fix) or details
	}
	one := func(mut func(*Session)) func(*Facts) {
		return func(f *Facts) {
			s := okSession()
			mut(&s)
			f.Sessions = []Session{s}
		}
	}
	cases := []tc{
		{name: "all good", state: plugin.OK, first: "IMAPS mail.example.org:993: TLS 1.3, certificate for mail.example.org trusted, 260-day certificate, 200 days left and * OK greeting",
			want: []string{"chain trusted (localhost <- Test Root)", "TLS: TLS 1.3, TLS_AES_128_GCM_SHA256", `chain[0]: subject "CN=localhost", SANs localhost 127.0.0.1`}},
		{name: "DNS failure", facts: func(f *Facts) {
			f.Sessions = nil
			f.ResolveErr = phase(tlsjudge.PhaseResolve, tlsjudge.KindNotFound, errors.New("lookup mail.example.org: no such host"))
		}, state: plugin.Critical, first: "DNS: cannot resolve mail.example.org", want: []string{"dig +short A mail.example.org"}},
		{name: "refused", facts: one(func(s *Session) {
			*s = Session{Session: tlsjudge.Session{Addr: addr, Err: phase(tlsjudge.PhaseConnect, tlsjudge.KindRefused, syscall.ECONNREFUSED)}}
		}), state: plugin.Critical, first: "connect: 192.0.2.10:993 refused the connection",
			want: []string{"firewall-cmd --permanent --add-service=imaps && firewall-cmd --reload", "fail2ban-client banned"}},
		{name: "connect timeout", facts: one(func(s *Session) {
			*s = Session{Session: tlsjudge.Session{Addr: addr, Err: phase(tlsjudge.PhaseConnect, tlsjudge.KindTimeout, errors.New("i/o timeout"))}}
		}), state: plugin.Critical, first: "connect: no answer from 192.0.2.10:993 within 2.000s: the port looks filtered"},
		{name: "firewalld reject (ICMP admin prohibited)", facts: one(func(s *Session) {
			*s = Session{Session: tlsjudge.Session{Addr: addr, Err: phase(tlsjudge.PhaseConnect, tlsjudge.KindHostUnreachable, syscall.EHOSTUNREACH)}}
		}), state: plugin.Critical, first: "connect: 192.0.2.10:993 rejected the connection with ICMP (no route to host): a firewall reject",
			want: []string{"firewall-cmd --permanent --add-service=imaps", "fail2ban-client banned", "ip route get 192.0.2.10"}},
		{name: "fell back from a refusing address", facts: func(f *Facts) {
			v6 := Session{Session: tlsjudge.Session{Addr: netip.MustParseAddrPort("[2001:db8::10]:993"), Err: phase(tlsjudge.PhaseConnect, tlsjudge.KindRefused, syscall.ECONNREFUSED)}}
			f.Sessions = []Session{v6, okSession()}
		}, state: plugin.Warning, first: "connect: [2001:db8::10]:993 refused the connection (port closed, firewall reject or Fail2ban ban); fell back"},
		{name: "all addresses, one family closed", cfg: func(c *Config) { c.AllAddresses = true }, facts: func(f *Facts) {
			v6 := Session{Session: tlsjudge.Session{Addr: netip.MustParseAddrPort("[2001:db8::10]:993"), Err: phase(tlsjudge.PhaseConnect, tlsjudge.KindRefused, syscall.ECONNREFUSED)}}
			f.Sessions = []Session{okSession(), v6}
		}, state: plugin.Critical, first: "connect: [2001:db8::10]:993 refused", want: []string{"192.0.2.10:993: TLS: TLS 1.3"}},
		{name: "handshake stall", facts: one(func(s *Session) {
			*s = Session{Session: tlsjudge.Session{Addr: addr, Connect: time.Millisecond, Err: phase(tlsjudge.PhaseTLS, tlsjudge.KindTimeout, errors.New("i/o timeout"))}}
		}), state: plugin.Critical, first: "TLS handshake: 192.0.2.10:993 accepted the connection but the handshake stalled"},
		{name: "not TLS", facts: one(func(s *Session) {
			*s = Session{Session: tlsjudge.Session{Addr: addr, Err: phase(tlsjudge.PhaseTLS, tlsjudge.KindOther, errors.New("tls: first record does not look like a TLS handshake"))}}
		}), state: plugin.Critical, first: "TLS handshake with 192.0.2.10:993 failed: the server does not speak TLS", want: []string{"--starttls"}},
		{name: "old TLS", facts: one(func(s *Session) { s.TLSVersion = tls.VersionTLS11 }),
			state: plugin.Critical, first: "TLS handshake: negotiated TLS 1.1, below --min-tls TLS 1.2", want: []string{"ssl_min_protocol"}},
		{name: "untrusted", facts: one(func(s *Session) {
			s.Cert = tlsjudge.ChainCheck{Name: "mail.example.org", TrustErr: x509.UnknownAuthorityError{}}
		}), state: plugin.Critical, first: "certificate: chain not trusted: certificate signed by unknown authority", want: []string{"fullchain.pem"}},
		{name: "name mismatch", facts: one(func(s *Session) {
			s.Cert.NameErr, s.Cert.AcceptedNow = x509.HostnameError{Certificate: good, Host: "mail.example.org"}, false
		}), state: plugin.Critical, first: "certificate: not valid for mail.example.org (it covers localhost, 127.0.0.1)"},
		{name: "warning window", facts: one(func(s *Session) { c := cert(20); s.Chain, s.Cert = []*x509.Certificate{c}, verified(c) }),
			state: plugin.Warning, first: `certificate: certificate "CN=localhost" (80-day certificate) expires in 20 days`, want: []string{"certbot renew"}},
		{name: "critical window", facts: one(func(s *Session) { c := cert(3); s.Chain, s.Cert = []*x509.Certificate{c}, verified(c) }),
			state: plugin.Critical, first: `certificate: certificate "CN=localhost" (63-day certificate) expires in 3 days 1 hour`},
		{name: "intermediate expiring first", facts: one(func(s *Session) {
			inter := cert(10)
			s.Chain = []*x509.Certificate{good, inter}
			s.Cert.Verified = []*x509.Certificate{good, inter, pki.caCert}
		}),
			state: plugin.Critical, first: `certificate: intermediate certificate "CN=localhost" (70-day certificate) expires in 10 days`},
		{name: "range thresholds", cfg: func(c *Config) { c.Warning, _ = tlsjudge.ParseExpiry("@0:250") },
			state: plugin.Warning, first: "certificate: certificate"},
		{name: "expired", facts: one(func(s *Session) {
			c := pki.leaf(t, now.AddDate(0, 0, -90), now.AddDate(0, 0, -2)).Leaf
			s.Chain, s.Cert = []*x509.Certificate{c}, verified(c)
			s.Cert.AcceptedNow = false
		}), state: plugin.Critical, first: `certificate: certificate "CN=localhost" (88-day certificate) expired on 2026-11-20 12:00 UTC (2 days ago)`},
		{name: "not yet valid", facts: one(func(s *Session) {
			c := pki.leaf(t, now.AddDate(0, 0, 1), now.AddDate(0, 0, 90)).Leaf
			s.Chain, s.Cert = []*x509.Certificate{c}, verified(c)
			s.Cert.AcceptedNow = false
		}), state: plugin.Critical, first: "certificate: certificate \"CN=localhost\" (89-day certificate) is not valid before"},
		{name: "cert-file equal", facts: func(f *Facts) { f.Sessions = []Session{okSession()}; f.DiskCert = good },
			state: plugin.OK, want: []string{"the served certificate is the one in --cert-file"}},
		{name: "cert-file renewed", facts: func(f *Facts) { f.Sessions = []Session{okSession()}; f.DiskCert = cert(300) },
			state: plugin.Warning, first: "certificate: renewed on disk, the server still serves the old one: reload dovecot", want: []string{"systemctl reload dovecot"}},
		{name: "cert-file older", facts: func(f *Facts) { f.Sessions = []Session{okSession()}; f.DiskCert = cert(100) },
			state: plugin.Warning, want: []string{"check that --cert-file is the certificate Dovecot is configured with (doveconf ssl_server_cert_file, or doveconf ssl_cert on 2.3)"}},
		{name: "BYE greeting", facts: one(func(s *Session) {
			s.Greeting = parseResponse("* BYE Too many connections")
			s.Err = phase(PhaseGreeting, tlsjudge.KindRejected, errors.New("greeting is not * OK"))
		}), state: plugin.Critical, first: "greeting: the server refused the session: * BYE Too many connections", want: []string{"process_limit"}},
		{name: "auth service not answering", facts: one(func(s *Session) {
			s.Greeting = parseResponse("* OK Waiting for authentication process to respond..")
		}), state: plugin.Warning, first: "greeting: * OK Waiting for authentication process to respond..: Dovecot's auth service is not answering", want: []string{"passdb/userdb backend"}},
		{name: "PREAUTH greeting", facts: one(func(s *Session) { s.Greeting = parseResponse("* PREAUTH welcome") }),
			state: plugin.Warning, first: "greeting: * PREAUTH"},
		{name: "not IMAP", facts: one(func(s *Session) {
			s.Greeting = parseResponse("220 smtp.example.org ESMTP")
			s.Err = phase(PhaseGreeting, tlsjudge.KindRejected, errors.New("greeting is not * OK"))
		}), state: plugin.Critical, first: `greeting: not an IMAP greeting: "220 smtp.example.org ESMTP"`},
		{name: "greeting stall", facts: one(func(s *Session) {
			s.Greeting = response{}
			s.Err = phase(PhaseGreeting, tlsjudge.KindTimeout, errors.New("i/o timeout"))
		}), state: plugin.Critical, first: "greeting: no IMAP greeting: the server went silent for 2.000s"},
		{name: "greeting too long", facts: one(func(s *Session) {
			s.Greeting = response{}
			s.Err = phase(PhaseGreeting, tlsjudge.KindTooLong, &linereader.LimitError{Sentinel: linereader.ErrLineTooLong, Text: "response line longer than 16384 bytes"})
		}), state: plugin.Critical, first: "greeting: no IMAP greeting: the server sent too much: response line longer than 16384 bytes"},
		{name: "capability expected", cfg: func(c *Config) { c.ExpectCapabilities = []string{"idle", "QUOTA"} },
			state: plugin.Warning, first: "CAPABILITY: QUOTA is not advertised", want: []string{"[OK] CAPABILITY: IDLE advertised"}},
		{name: "STARTTLS not offered", cfg: func(c *Config) { c.StartTLS = true }, facts: one(func(s *Session) {
			*s = Session{Session: tlsjudge.Session{Addr: addr, Err: &tlsjudge.PhaseError{Phase: PhaseStartTLS, Kind: tlsjudge.KindNotOffered, Err: errors.New("the server does not advertise STARTTLS")}}, Greeting: parseResponse("* OK [CAPABILITY IMAP4rev1] hi"), PlainCaps: []string{"IMAP4REV1"}}
		}), state: plugin.Critical, first: "STARTTLS: the server does not advertise STARTTLS", want: []string{"ssl = yes"}},
		{name: "STARTTLS without LOGINDISABLED", cfg: func(c *Config) { c.StartTLS = true }, facts: one(func(s *Session) {
			s.PlainCaps = []string{"IMAP4REV1", "STARTTLS"}
		}), state: plugin.Warning, first: "STARTTLS: the server does not advertise LOGINDISABLED", want: []string{"auth_allow_cleartext = no (Dovecot 2.4; disable_plaintext_auth = yes on 2.3)"}},
		{name: "STARTTLS plaintext login allowed", cfg: func(c *Config) { c.StartTLS, c.AllowPlaintextLogin = true, true }, facts: one(func(s *Session) {
			s.PlainCaps = []string{"IMAP4REV1", "STARTTLS"}
		}), state: plugin.OK, first: "IMAP STARTTLS mail.example.org:143"},
		{name: "STARTTLS injection", cfg: func(c *Config) { c.StartTLS = true }, facts: one(func(s *Session) {
			*s = Session{Session: tlsjudge.Session{Addr: addr, Err: phase(PhaseStartTLS, tlsjudge.KindOther, ErrInjected)}, Greeting: parseResponse("* OK hi"), PlainCaps: []string{"STARTTLS", "LOGINDISABLED"}}
		}), state: plugin.Critical, first: "STARTTLS: server sent data between its STARTTLS OK and the TLS handshake"},
		{name: "login ok and select", cfg: func(c *Config) { c.Login, c.Select = "monitor", "INBOX" }, facts: one(func(s *Session) {
			s.LoggedIn, s.Selected, s.Exists = true, true, 12
		}), state: plugin.OK, first: "IMAPS mail.example.org:993: TLS 1.3, certificate for mail.example.org trusted, 260-day certificate, 200 days left, * OK greeting, logged in as monitor and INBOX has 12 messages"},
		{name: "login rejected", cfg: func(c *Config) { c.Login = "monitor" }, facts: one(func(s *Session) {
			s.Err = phase(PhaseLogin, tlsjudge.KindRejected, &StatusError{Command: "LOGIN", Resp: parseResponse("a2 NO [AUTHENTICATIONFAILED] Authentication failed.")})
		}), state: plugin.Critical, first: "LOGIN as monitor failed: LOGIN answered NO [AUTHENTICATIONFAILED] Authentication failed.", want: []string{"doveadm auth test monitor"}},
		{name: "login not sent to an untrusted server", cfg: func(c *Config) { c.Login = "monitor" }, facts: one(func(s *Session) {
			s.Cert = tlsjudge.ChainCheck{Name: "mail.example.org", TrustErr: x509.UnknownAuthorityError{}}
			s.LoginSkipped = "password not sent: a client would refuse this certificate"
		}), state: plugin.Critical, want: []string{"[WARNING] LOGIN: not attempted: password not sent"}},
		{name: "select missing", cfg: func(c *Config) { c.Login, c.Select = "monitor", "Archive" }, facts: one(func(s *Session) {
			s.LoggedIn = true
			s.Err = phase(PhaseSelect, tlsjudge.KindRejected, &StatusError{Command: "SELECT", Resp: parseResponse("a3 NO Mailbox doesn't exist: Archive")})
		}), state: plugin.Critical, first: "SELECT Archive failed: SELECT answered NO Mailbox doesn't exist: Archive", want: []string{`doveadm force-resync -u monitor "Archive"`}},
		{name: "select dropped", cfg: func(c *Config) { c.Login, c.Select = "monitor", "INBOX" }, facts: one(func(s *Session) {
			s.LoggedIn = true
			s.Err = phase(PhaseSelect, tlsjudge.KindClosed, errors.New("EOF"))
		}), state: plugin.Critical, first: "SELECT INBOX: the server closed the connection (a corrupt or bloated index"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := baseCfg()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			f := Facts{Now: now, Port: cfg.port(), Sessions: []Session{okSession()}}
			if c.facts != nil {
				c.facts(&f)
			}
			r := Evaluate(cfg, f)
			all := r.Summary + "\n" + render(r)
			if r.State() != c.state {
				t.Errorf("state %v, want %v\n%s", r.State(), c.state, all)
			}
			if !strings.HasPrefix(r.Summary, c.first) {
				t.Errorf("summary %q, want prefix %q", r.Summary, c.first)
			}
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("lacks %q:\n%s", w, all)
				}
			}
			for _, fd := range r.Findings {
				if strings.Contains(fd.Fix, "|") {
					// The renderer turns "|" into "¦": a piped fix could not be pasted.
					t.Errorf("fix with a pipe: %q", fd.Fix)
				}
				if fd.State != plugin.OK && fd.State != plugin.Warning && fd.Fix == "" && !strings.HasPrefix(fd.Text, "LOGIN: not attempted") {
					t.Errorf("finding without a fix: %q", fd.Text)
				}
			}
		})
	}
}

// render flattens findings and details for the assertions.
func render(r plugin.Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString("[" + f.State.String() + "] " + f.Text + " Fix: " + f.Fix + "\n")
	}
	for _, d := range r.Details {
		b.WriteString(d + "\n")
	}
	return b.String()
}

func TestEvaluateMetrics(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	leaf := pki.leaf(t, now.AddDate(0, 0, -1), now.Add(40*24*time.Hour+time.Hour)).Leaf
	inter := pki.leaf(t, now.AddDate(0, 0, -1), now.Add(35*24*time.Hour+time.Hour)).Leaf
	cfg := Config{Host: "h"}
	cfg.Warning, _ = tlsjudge.ParseExpiry("30")
	cfg.Critical, _ = tlsjudge.ParseExpiry("14")
	s := Session{Session: tlsjudge.Session{Addr: netip.MustParseAddrPort("127.0.0.1:993"), Connect: time.Millisecond, Handshake: 2 * time.Millisecond, GreetingTime: 3 * time.Millisecond, Total: 7 * time.Millisecond, Handshaked: true, TLSVersion: tls.VersionTLS13, Chain: []*x509.Certificate{leaf, inter}}, Greeting: parseResponse("* OK hi")}
	r := Evaluate(cfg, Facts{Now: now, Port: 993, Sessions: []Session{s}})
	want := map[string]plugin.Metric{
		"connect_time":  {Label: "connect_time", Value: 0.001, UOM: "s", Min: "0"},
		"tls_time":      {Label: "tls_time", Value: 0.002, UOM: "s", Min: "0"},
		"greeting_time": {Label: "greeting_time", Value: 0.003, UOM: "s", Min: "0"},
		"total_time":    {Label: "total_time", Value: 0.007, UOM: "s", Min: "0"},
		"days_left":     {Label: "days_left", Value: 35.04, Warn: "30", Crit: "14"},
	}
	if len(r.Metrics) != len(want) {
		t.Fatalf("metrics %+v", r.Metrics)
	}
	for _, m := range r.Metrics {
		if m != want[m.Label] {
			t.Errorf("metric %+v, want %+v", m, want[m.Label])
		}
	}
}

func TestTLSVersionFlag(t *testing.T) {
	var v tlsjudge.TLSVersion
	for _, in := range []string{"1.2", "TLSv1.2", "tls1.2"} {
		if err := v.UnmarshalText([]byte(in)); err != nil || uint16(v) != tls.VersionTLS12 {
			t.Errorf("%s: %v %v", in, v, err)
		}
	}
	if err := v.UnmarshalText([]byte("1.4")); err == nil {
		t.Error("1.4 accepted")
	}
}
