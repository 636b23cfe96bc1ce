package tlsjudge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/linereader"
)

// Phase names a step of the dialogue; every failure is reported in the phase
// it happened, because "connection refused" and "no greeting" need different
// fixes.
type Phase string

// The phases every protocol shares; the dialogue's own phases (greeting,
// STARTTLS, LOGIN, AUTH...) are declared by its package.
const (
	PhaseResolve Phase = "DNS"
	PhaseConnect Phase = "connect"
	PhaseTLS     Phase = "TLS handshake"
)

// Kind classifies a failure so that evaluate can choose the hint.
type Kind int

// The kinds of failure.
const (
	KindOther           Kind = iota
	KindNotFound             // DNS: no such host
	KindRefused              // TCP RST to our SYN: closed port, firewall REJECT, Fail2ban
	KindTimeout              // no answer before the deadline: filtered port or a stalled server
	KindReset                // connection reset mid-dialogue
	KindClosed               // the server closed the connection (EOF)
	KindTooLong              // the server exceeded a reader limit
	KindRejected             // the server answered NO/BAD
	KindNotOffered           // STARTTLS not advertised
	KindHostUnreachable      // ICMP host/admin prohibited or unreachable: firewalld's default reject
	KindNetUnreachable       // no route to the network
	KindTrickle              // the deadline passed while the server was still sending, too slowly
	KindPreauthPlain         // * PREAUTH before STARTTLS: the session would stay in clear text
)

// PhaseError is a failure tagged with the phase it happened in.
type PhaseError struct {
	Phase Phase
	Kind  Kind
	Err   error
	After time.Duration // time spent in the phase when it failed
}

func (e *PhaseError) Error() string { return fmt.Sprintf("%s: %v", e.Phase, e.Err) }
func (e *PhaseError) Unwrap() error { return e.Err }

// Classify tags err with its phase and kind. ctx tells a stall (our
// deadline passed) from a server that actively failed. A refusal in the
// protocol's own words (an IMAP NO, an SMTP 5xx) is the protocol package's
// to mark as KindRejected.
func Classify(ctx context.Context, phase Phase, err error, started time.Time) *PhaseError {
	pe := &PhaseError{Phase: phase, Err: err, After: time.Since(started)}
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		pe.Kind = KindRefused
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		pe.Kind = KindNotFound
	case ctx.Err() != nil, errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		pe.Kind = KindTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		pe.Kind = KindReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		pe.Kind = KindClosed
	case errors.Is(err, linereader.ErrLineTooLong), errors.Is(err, linereader.ErrTooMuch):
		pe.Kind = KindTooLong
	case errors.Is(err, syscall.EHOSTUNREACH):
		pe.Kind = KindHostUnreachable
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		pe.Kind = KindNetUnreachable
	}
	return pe
}

// Resolve turns the host into addresses of the wanted family ("ip", "ip4",
// "ip6"), in the resolver's order. An IP literal is used as is.
func Resolve(ctx context.Context, host, network string, lookup func(context.Context, string, string) ([]netip.Addr, error)) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if (network == "ip4" && !a.Is4()) || (network == "ip6" && !a.Is6()) {
			return nil, fmt.Errorf("%s is not an %s address", host, map[string]string{"ip4": "IPv4", "ip6": "IPv6"}[network])
		}
		return []netip.Addr{a}, nil
	}
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	addrs, err := lookup(ctx, network, host)
	if err != nil {
		return nil, err
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s has no %s address", host, network)
	}
	return addrs, nil
}

// Connect opens the TCP connection and bounds every later read and write on
// it by ctx: its deadline
// becomes the socket deadline, and a cancellation sets a deadline in the
// past, which unblocks whatever phase is waiting. The returned stop must be
// called when the connection is done; took is the time the dial took.
func Connect(ctx context.Context, addr netip.AddrPort) (net.Conn, func() bool, time.Duration, error) {
	start := time.Now()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr.String())
	took := time.Since(start)
	if err != nil {
		return nil, nil, took, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	return c, stop, took, nil
}

// ClientConfig is the client configuration for one handshake.
func ClientConfig(sni string) *tls.Config {
	return &tls.Config{
		ServerName: sni,
		// Offer everything Go can speak, so a server stuck on TLS 1.0 is
		// reported as "TLS 1.0, below --min-tls" rather than as a failed
		// handshake; evaluate judges the negotiated version.
		MinVersion: tls.VersionTLS10,
		// Key shares: Go's defaults (X25519MLKEM768 and X25519), what
		// current clients and OpenSSL 3.5 negotiate.
		// true: crypto/tls's own certificate check is off, because it
		// ends the handshake with an opaque error and the operator then
		// learns nothing about the chain that was served (which
		// certificate expired, which issuer is unknown, which names it
		// covers). The check is not dropped but replaced: right after the
		// handshake, the probe runs JudgeConnection (verifyChain: chain to the
		// roots with the served intermediates, server-auth usage, host
		// name, dates; and the clients' own refusals: key usage, key
		// sizes, SHA-1, DSA, keys.go) on the served chain, and never sends
		// a password unless that verification passed. It runs after the
		// handshake rather than inside it (VerifyConnection) so that our
		// Finished is not held back: the verification overlaps the
		// server's greeting.
		InsecureSkipVerify: true,
	}
}
