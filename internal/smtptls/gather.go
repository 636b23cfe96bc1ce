package smtptls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/netip"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/smtpdialog"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// The phases of an SMTP probe, in dialogue order; connect, DNS and the TLS
// handshake are the shared engine's.
const (
	PhaseGreeting tlsjudge.Phase = "greeting"
	PhaseEHLO     tlsjudge.Phase = "EHLO"
	PhaseStartTLS tlsjudge.Phase = "STARTTLS"
	PhaseAuth     tlsjudge.Phase = "AUTH"
)

// Session is what one connection to one address showed.
type Session struct {
	// TLS holds the address, the phase error and everything of the
	// handshake, as the shared engine judges it.
	TLS tlsjudge.Session

	Greeting    smtpdialog.Reply
	PlainExt    smtpdialog.Extensions // EHLO before STARTTLS; empty with implicit TLS
	Ext         smtpdialog.Extensions // EHLO over TLS
	EHLOOverTLS bool

	AuthTime     time.Duration
	LoginSkipped string // why no AUTH was sent, when --login asked for one
	Mechanism    string
	LoggedIn     bool

	Transcript []string
}

// Facts is everything gathered for one run.
type Facts struct {
	Now        time.Time
	Port       int
	Implicit   bool
	ResolveErr *tlsjudge.PhaseError
	Sessions   []Session
	DiskCert   *x509.Certificate
}

// Gather resolves the host and probes its addresses, as check_imaps_tls
// does: every one with --all-addresses (sharing the deadline), else in
// resolver order until one gets past connect.
func Gather(ctx context.Context, cfg Config, roots *x509.CertPool, password string) Facts {
	f := Facts{Now: time.Now(), Port: cfg.port(), Implicit: cfg.implicit()}
	network := cfg.TLS.Network
	if network == "" {
		network = "ip"
	}
	started := time.Now()
	addrs, err := tlsjudge.Resolve(ctx, cfg.Host, network, nil)
	if err != nil {
		f.ResolveErr = tlsjudge.Classify(ctx, tlsjudge.PhaseResolve, err, started)
		return f
	}
	for i, a := range addrs {
		ap := netip.AddrPortFrom(a, uint16(f.Port))
		if !cfg.TLS.AllAddresses {
			s := probe(ctx, cfg, f, ap, roots, password)
			f.Sessions = append(f.Sessions, s)
			if s.TLS.Err == nil || s.TLS.Err.Phase != tlsjudge.PhaseConnect || ctx.Err() != nil {
				break
			}
			continue
		}
		sub, cancel := ctx, context.CancelFunc(func() {})
		if dl, ok := ctx.Deadline(); ok {
			sub, cancel = context.WithTimeout(ctx, time.Until(dl)/time.Duration(len(addrs)-i))
		}
		f.Sessions = append(f.Sessions, probe(sub, cfg, f, ap, roots, password))
		cancel()
	}
	return f
}

// probe runs the dialogue against one address: connect, (greeting, EHLO,
// STARTTLS,) handshake, (greeting,) EHLO over TLS, AUTH when asked, QUIT.
// Each phase is timed; its failure ends the probe as a PhaseError.
func probe(ctx context.Context, cfg Config, f Facts, addr netip.AddrPort, roots *x509.CertPool, password string) (s Session) {
	t := &s.TLS
	t.Addr = addr
	start := time.Now()
	defer func() { t.Total = time.Since(start) }()
	fail := func(phase tlsjudge.Phase, err error, began time.Time) {
		t.Err = tlsjudge.Classify(ctx, phase, err, began)
		t.Err.Kind = smtpKind(t.Err)
	}

	conn, stop, took, err := tlsjudge.Connect(ctx, addr)
	t.Connect = took
	if err != nil {
		fail(tlsjudge.PhaseConnect, err, start)
		return
	}
	defer conn.Close()
	defer stop()

	sni, name := cfg.TLS.ServerName()
	tlsCfg := tlsjudge.ClientConfig(sni)
	var c *smtpdialog.Client
	defer func() {
		if c != nil {
			s.Transcript = c.Transcript()
		}
	}()
	var cs tls.ConnectionState
	if f.Implicit {
		tc := tls.Client(conn, tlsCfg)
		began := time.Now()
		err = tc.HandshakeContext(ctx)
		t.Handshake = time.Since(began)
		if err != nil {
			fail(tlsjudge.PhaseTLS, err, began)
			return
		}
		cs = tc.ConnectionState()
		c = smtpdialog.New(tc)
		if !s.greet(ctx, c, fail) {
			return
		}
	} else {
		c = smtpdialog.New(conn)
		if !s.greet(ctx, c, fail) {
			return
		}
		began := time.Now()
		if s.PlainExt, _, err = c.Hello(ctx, cfg.ehloName()); err != nil {
			fail(PhaseEHLO, err, began)
			return
		}
		if !s.PlainExt.StartTLS {
			t.Err = &tlsjudge.PhaseError{Phase: PhaseStartTLS, Kind: tlsjudge.KindNotOffered, Err: errNotOffered}
			return
		}
		began = time.Now()
		if err = c.RequestTLS(ctx); err != nil {
			fail(PhaseStartTLS, err, began)
			return
		}
		tc := tls.Client(conn, tlsCfg)
		began = time.Now()
		err = tc.HandshakeContext(ctx)
		t.Handshake = time.Since(began)
		if err != nil {
			fail(tlsjudge.PhaseTLS, err, began)
			return
		}
		cs = tc.ConnectionState()
		c.UseTLS(tc)
	}
	t.Handshaked, t.TLSVersion, t.CipherSuite, t.Chain = true, cs.Version, cs.CipherSuite, cs.PeerCertificates
	// The verdict and the second handshake run beside the dialogue, as in
	// check_imaps_tls; both are in s before AUTH and when probe returns.
	verdict := make(chan tlsjudge.ChainCheck, 1)
	go func() { verdict <- tlsjudge.JudgeConnection(cs, roots, name, f.Now) }()
	awaitVerdict := func() {
		if verdict != nil {
			t.Cert, verdict = <-verdict, nil
		}
	}
	defer awaitVerdict()
	if cfg.TLS.AllCertificates && len(cs.PeerCertificates) > 0 {
		alt := make(chan tlsjudge.AltCert, 1)
		go func() { alt <- probeAltCert(ctx, cfg, f, addr, cs, roots) }()
		defer func() { a := <-alt; t.Alt = &a }()
	}

	began := time.Now()
	if s.Ext, _, err = c.Hello(ctx, cfg.ehloName()); err != nil {
		fail(PhaseEHLO, err, began)
		return
	}
	s.EHLOOverTLS = true

	awaitVerdict()
	if cfg.Login != "" {
		s.Mechanism = smtpdialog.ChooseMechanism(s.Ext)
		switch {
		case !t.Cert.AcceptedNow:
			s.LoginSkipped = "password not sent: a client would refuse this certificate"
		case t.TLSVersion < uint16(cfg.TLS.MinTLS):
			s.LoginSkipped = "password not sent: " + tls.VersionName(t.TLSVersion) + " is below --min-tls " + tls.VersionName(uint16(cfg.TLS.MinTLS))
		case s.Mechanism == "":
			s.LoginSkipped = "the server offers neither AUTH PLAIN nor AUTH LOGIN over TLS"
		default:
			began = time.Now()
			_, err = c.Auth(ctx, s.Mechanism, cfg.Login, password)
			s.AuthTime = time.Since(began)
			if err != nil {
				fail(PhaseAuth, err, began)
				return
			}
			s.LoggedIn = true
		}
	}
	// QUIT is courtesy, so Postfix logs a clean disconnect; its answer is
	// not judged (only shown with -v).
	_, _ = c.Quit(ctx)
	return s
}

// greet reads the 220 greeting; false when the probe must stop.
func (s *Session) greet(ctx context.Context, c *smtpdialog.Client, fail func(tlsjudge.Phase, error, time.Time)) bool {
	began := time.Now()
	g, err := c.Greeting(ctx)
	s.TLS.GreetingTime = time.Since(began)
	s.Greeting = g
	if err != nil {
		fail(PhaseGreeting, err, began)
		return false
	}
	return true
}

// probeAltCert asks, on a second connection, for the certificate of the
// key type the main handshake did not get (see tlsjudge/altcert.go).
func probeAltCert(ctx context.Context, cfg Config, f Facts, addr netip.AddrPort, cs tls.ConnectionState, roots *x509.CertPool) tlsjudge.AltCert {
	have := tlsjudge.KeyTypeOf(cs.PeerCertificates[0])
	if have == "" {
		return tlsjudge.AltCert{Outcome: tlsjudge.AltNotAttempted}
	}
	want := have.Other()
	conn, stop, _, err := tlsjudge.Connect(ctx, addr)
	if err != nil {
		return tlsjudge.AltCert{Type: want, Outcome: tlsjudge.AltFailed, Err: err}
	}
	defer conn.Close()
	defer stop()
	if !f.Implicit {
		c := smtpdialog.New(conn)
		if _, err = c.Greeting(ctx); err == nil {
			if _, _, err = c.Hello(ctx, cfg.ehloName()); err == nil {
				err = c.RequestTLS(ctx)
			}
		}
		if err != nil {
			return tlsjudge.AltCert{Type: want, Outcome: tlsjudge.AltFailed, Err: err}
		}
	}
	return tlsjudge.AltHandshake(ctx, conn, cfg.TLS, want, cs.Version, roots, f.Now)
}
