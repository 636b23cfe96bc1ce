package imaptls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// Session is what one connection to one address showed: the TCP and TLS
// facts the shared judgement reads (tlsjudge.Session, embedded), then the
// IMAP dialogue's.
type Session struct {
	tlsjudge.Session

	Greeting  response // the first line; before TLS with STARTTLS
	PlainCaps []string // capabilities before STARTTLS
	Caps      []string // capabilities over TLS

	LoginSkipped string // why no LOGIN was sent, when one was asked for
	LoggedIn     bool
	Selected     bool
	Exists       int // messages in the selected mailbox (SELECT's EXISTS)
	LogoutErr    *tlsjudge.PhaseError

	Transcript []string // the dialogue, password redacted, for -v
	Alerts     []string // texts of [ALERT] responses, in order
}

// Facts is everything gathered for one run.
type Facts struct {
	Now        time.Time
	Port       int
	ResolveErr *tlsjudge.PhaseError
	Addresses  []netip.Addr
	Sessions   []Session
	DiskCert   *x509.Certificate // from --cert-file
}

// Gather resolves the host and probes its addresses: every one with
// AllAddresses, else in resolver order until one gets past connect, as a
// client falls back from an unreachable address to the next.
func Gather(ctx context.Context, cfg Config, roots *x509.CertPool, password string) Facts {
	f := Facts{Now: time.Now(), Port: cfg.port()}
	network := cfg.Network
	if network == "" {
		network = "ip"
	}
	started := time.Now()
	addrs, err := tlsjudge.Resolve(ctx, cfg.Host, network, cfg.lookup)
	if err != nil {
		f.ResolveErr = phaseError(ctx, tlsjudge.PhaseResolve, err, started)
		return f
	}
	f.Addresses = addrs
	for i, a := range addrs {
		ap := netip.AddrPortFrom(a, uint16(f.Port))
		if !cfg.AllAddresses {
			s := probe(ctx, cfg, ap, roots, password, f.Now)
			f.Sessions = append(f.Sessions, s)
			if s.Err == nil || s.Err.Phase != tlsjudge.PhaseConnect || ctx.Err() != nil {
				break
			}
			continue
		}
		// Share what is left of the deadline, so that one filtered address
		// cannot leave the next ones without time.
		sub, cancel := ctx, context.CancelFunc(func() {})
		if dl, ok := ctx.Deadline(); ok {
			share := time.Until(dl) / time.Duration(len(addrs)-i)
			sub, cancel = context.WithTimeout(ctx, share)
		}
		f.Sessions = append(f.Sessions, probe(sub, cfg, ap, roots, password, f.Now))
		cancel()
	}
	return f
}

// probe runs the whole dialogue against one address. Each phase is timed and
// its failure ends the probe as a *tlsjudge.PhaseError naming it.
func probe(ctx context.Context, cfg Config, addr netip.AddrPort, roots *x509.CertPool, password string, now time.Time) (s Session) {
	s.Addr = addr
	start := time.Now()
	defer func() { s.Total = time.Since(start) }()
	fail := func(phase tlsjudge.Phase, err error, began time.Time) {
		s.Err = phaseError(ctx, phase, err, began)
	}

	conn, stop, took, err := tlsjudge.Connect(ctx, addr)
	s.Connect = took
	if err != nil {
		fail(tlsjudge.PhaseConnect, err, start)
		return
	}
	defer conn.Close()
	defer stop()
	raw := &tlsjudge.CountingConn{Conn: conn}
	fail = func(phase tlsjudge.Phase, err error, began time.Time) {
		s.Err = phaseError(ctx, phase, err, began)
		if s.Err.Kind == tlsjudge.KindTimeout && raw.Trickling(began) {
			s.Err.Kind = tlsjudge.KindTrickle
		}
	}
	ic := newIMAPConn(raw)
	defer func() { s.Transcript, s.Alerts = ic.transcript, ic.alerts }()

	if cfg.StartTLS {
		if !s.readGreeting(ic, time.Now(), fail) {
			return
		}
		if s.Greeting.Status == "PREAUTH" {
			// RFC 9051 7.1.4 / RFC 2595: STARTTLS is only allowed in the
			// not-authenticated state, so a client that requires TLS must
			// hang up here; a man in the middle sends exactly this to keep
			// a session in clear text. Nothing more is sent.
			s.Err = &tlsjudge.PhaseError{Phase: PhaseStartTLS, Kind: tlsjudge.KindPreauthPlain,
				Err: errors.New("the server sent * PREAUTH before TLS: the session is logged in and would stay in clear text")}
			return
		}
		began := time.Now()
		if s.PlainCaps, err = greetingCaps(ic, s.Greeting); err != nil {
			fail(PhaseCapability, err, began)
			return
		}
		if !hasCap(s.PlainCaps, "STARTTLS") {
			s.Err = &tlsjudge.PhaseError{Phase: PhaseStartTLS, Kind: tlsjudge.KindNotOffered, Err: errors.New("the server does not advertise STARTTLS")}
			return
		}
		began = time.Now()
		done, _, err := ic.command("STARTTLS")
		if err == nil && done.Status != "OK" {
			err = &StatusError{Command: "STARTTLS", Resp: done}
		}
		if err == nil && ic.r.Buffered() > 0 {
			err = ErrInjected
		}
		if err != nil {
			fail(PhaseStartTLS, err, began)
			return
		}
	}

	sni, name := cfg.judgeConfig().ServerName()
	began := time.Now()
	tc := tls.Client(raw, tlsjudge.ClientConfig(sni))
	err = tc.HandshakeContext(ctx)
	s.Handshake = time.Since(began)
	if err != nil {
		fail(tlsjudge.PhaseTLS, err, began)
		return
	}
	cs := tc.ConnectionState()
	s.Handshaked, s.TLSVersion, s.CipherSuite, s.Chain = true, cs.Version, cs.CipherSuite, cs.PeerCertificates
	// The whole verification (see tlsjudge.ClientConfig), while the greeting
	// is on its way; its verdict is in s.Cert before anything depends on
	// it (LOGIN) and whenever probe returns.
	verdict := make(chan tlsjudge.ChainCheck, 1)
	go func() { verdict <- tlsjudge.JudgeConnection(cs, roots, name, now) }()
	awaitVerdict := func() {
		if verdict != nil {
			s.Cert, verdict = <-verdict, nil
		}
	}
	defer awaitVerdict()
	if cfg.AllCertificates && len(cs.PeerCertificates) > 0 {
		// The second handshake runs beside the IMAP dialogue, so it costs
		// a connection but hardly any time.
		alt := make(chan tlsjudge.AltCert, 1)
		go func() {
			if have := tlsjudge.KeyTypeOf(cs.PeerCertificates[0]); have != "" {
				alt <- probeAltCert(ctx, cfg, addr, have.Other(), cs.Version, roots, now)
			} else {
				alt <- tlsjudge.AltCert{Outcome: tlsjudge.AltNotAttempted}
			}
		}()
		defer func() { a := <-alt; s.Alt = &a }()
	}

	// From here on the dialogue runs over TLS; the transcript continues.
	// An [ALERT] received before TLS is not carried over: anyone on the path
	// could have written it, so it stays in the transcript (-v) only.
	transcript := ic.transcript
	ic = newIMAPConn(tc)
	ic.transcript = append(transcript, "-- "+tls.VersionName(cs.Version)+" handshake done --")

	began = time.Now()
	if !cfg.StartTLS {
		if !s.readGreeting(ic, began, fail) {
			return
		}
		s.Caps, err = greetingCaps(ic, s.Greeting)
	} else {
		// RFC 3501 6.2.1: capabilities seen before TLS must be discarded.
		s.Caps, err = ic.capability()
	}
	if err != nil {
		fail(PhaseCapability, err, began)
		return
	}

	awaitVerdict()
	if cfg.Login != "" {
		switch {
		case s.Greeting.Status == "PREAUTH":
			s.LoginSkipped = "the server pre-authenticated the connection"
		case !s.Cert.AcceptedNow:
			s.LoginSkipped = "password not sent: a client would refuse this certificate"
		case s.TLSVersion < uint16(cfg.MinTLS):
			s.LoginSkipped = "password not sent: " + tls.VersionName(s.TLSVersion) + " is below --min-tls " + tls.VersionName(uint16(cfg.MinTLS))
		default:
			began = time.Now()
			done, _, err := ic.command("LOGIN", astring(cfg.Login), secretString(password))
			if err == nil && done.Status != "OK" {
				err = &StatusError{Command: "LOGIN", Resp: done}
			}
			if err != nil {
				fail(PhaseLogin, err, began)
				return
			}
			s.LoggedIn = true
		}
	}
	if cfg.Select != "" && (s.LoggedIn || s.Greeting.Status == "PREAUTH") {
		began = time.Now()
		done, untagged, err := ic.command("SELECT", astring(mailboxName(cfg.Select)))
		if err == nil && done.Status != "OK" {
			err = &StatusError{Command: "SELECT", Resp: done}
		}
		if err != nil {
			fail(PhaseSelect, err, began)
			return
		}
		s.Selected = true
		for _, u := range untagged {
			// "* 12 EXISTS" parses as a response without a status.
			if n, word, ok := strings.Cut(u.Text, " "); ok && strings.EqualFold(word, "EXISTS") {
				s.Exists, _ = strconv.Atoi(n)
			}
		}
	}
	// LOGOUT is courtesy, so Dovecot logs a clean disconnect; nothing after
	// it is judged, so it is sent and not waited for. Waiting for the
	// "* BYE" and the tagged OK would cost a round trip (on loopback about
	// a millisecond of Dovecot's time, over a WAN the whole RTT) and tell
	// the operator nothing a client cares about: check_imap does not wait
	// either. A write error is only noted in the -v output.
	if err := ic.send("LOGOUT"); err != nil {
		s.LogoutErr = phaseError(ctx, PhaseLogout, err, time.Now())
	}
	return s
}

// readGreeting reads and records the first line; false when the probe must
// stop (no greeting, or BYE).
func (s *Session) readGreeting(ic *imapConn, began time.Time, fail func(tlsjudge.Phase, error, time.Time)) bool {
	g, err := ic.greeting()
	s.GreetingTime = time.Since(began)
	if err != nil {
		fail(PhaseGreeting, err, began)
		return false
	}
	s.Greeting = g
	if g.Tag != "*" || (g.Status != "OK" && g.Status != "PREAUTH") {
		s.Err = &tlsjudge.PhaseError{Phase: PhaseGreeting, Kind: tlsjudge.KindRejected, Err: errors.New("greeting is not * OK")}
		return false
	}
	return true
}

// greetingCaps takes the capabilities from the greeting's CAPABILITY code
// when it has one (Dovecot's does), else asks.
func greetingCaps(ic *imapConn, g response) ([]string, error) {
	if caps := g.capabilities(); caps != nil {
		return caps, nil
	}
	return ic.capability()
}
