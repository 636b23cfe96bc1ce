package tlsjudge

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// ExplainConnect turns a failed connect into the finding's text (first
// word: the phase) and the fix, in srv's words.
func ExplainConnect(srv Server, port int, s Session) (text, fix string) {
	pe, addr := s.Err, s.Addr.String()
	switch pe.Kind {
	case KindRefused:
		return fmt.Sprintf("connect: %s refused the connection (port closed, firewall reject or Fail2ban ban)", addr), refusedFix(srv, port)
	case KindTimeout:
		where := "port " + strconv.Itoa(port) + "/tcp"
		if svc, ok := srv.FirewallServices[port]; ok {
			where = "the " + svc + " service or " + where
		}
		path := "any cloud security group or router in between"
		if srv.PathNote != "" {
			path += " (" + srv.PathNote + ")"
		}
		return fmt.Sprintf("connect: no answer from %s within %s: the port looks filtered (packets dropped)", addr, Seconds(pe.After)),
			"check the firewalls on the way: firewall-cmd --list-all on the mail host (" + where + "), " + path + "; " + fail2banFix
	case KindHostUnreachable:
		// firewalld rejects what a zone does not allow with an ICMP
		// "admin prohibited", which the client reports as "no route to
		// host": on a reachable host this is a firewall, not routing.
		return fmt.Sprintf("connect: %s rejected the connection with ICMP (no route to host): a firewall reject, as firewalld answers for a service the zone does not allow", addr),
			refusedFix(srv, port) + "; if no firewall is involved, check the route: ip route get " + s.Addr.Addr().String()
	case KindNetUnreachable:
		return fmt.Sprintf("connect: %s is unreachable from here: %s", addr, RootCause(pe.Err)), "check the route to the mail host: ip route get " + s.Addr.Addr().String()
	}
	return fmt.Sprintf("connect: %s: %s", addr, RootCause(pe.Err)), refusedFix(srv, port)
}

// refusedFix: is the server listening, does the firewall let it through,
// is this host banned.
func refusedFix(srv Server, port int) string {
	open := fmt.Sprintf("firewall-cmd --permanent --add-port=%d/tcp && firewall-cmd --reload", port)
	if svc, ok := srv.FirewallServices[port]; ok {
		open = "firewall-cmd --permanent --add-service=" + svc + " && firewall-cmd --reload"
	}
	return "on the mail host: is " + srv.Name + " listening (ss -ltn 'sport = :" + strconv.Itoa(port) + "'; " + srv.ServiceCheck + ")? " +
		"does the runtime firewall allow it (firewall-cmd --list-services; " + open + ")? " + fail2banFix
}

// fail2banFix is the second suspect whenever the monitoring host cannot get in.
const fail2banFix = "and check that Fail2ban has not banned this monitoring host's IP: fail2ban-client banned (then fail2ban-client unban IP, and add it to ignoreip)"

// ExplainHandshake turns a failed TLS handshake into the finding's text and
// the fix, in srv's words.
func ExplainHandshake(srv Server, s Session) (text, fix string) {
	pe, addr := s.Err, s.Addr.String()
	switch pe.Kind {
	case KindTimeout:
		return fmt.Sprintf("TLS handshake: %s accepted the connection but the handshake stalled for %s", addr, Seconds(pe.After)), srv.HandshakeStallFix
	case KindTrickle:
		return fmt.Sprintf("TLS handshake: %s was still sending when the deadline passed, %s into the handshake: it sends too slowly (a trickle)", addr, Seconds(pe.After)),
			"bytes arrive, but too slowly: an overloaded mail host (uptime, iostat), a congested or lossy path (mtr to the host), or a tarpit/IPS in front of " + srv.Name
	case KindClosed, KindReset:
		return fmt.Sprintf("TLS handshake: %s closed the connection during the handshake (%s)", addr, RootCause(pe.Err)), noCommonGroundFix(srv)
	}
	// crypto/tls reports a received alert as a net.OpError "remote error"
	// (its alert type is unexported; tls.AlertError is QUIC's).
	var remote *net.OpError
	if errors.As(pe.Err, &remote) && remote.Op == "remote error" {
		fix := "compare what both sides accept: " + srv.ShowProtocols + "; --min-tls only judges after a handshake"
		if strings.Contains(pe.Err.Error(), "handshake failure") {
			// OpenSSL 3.5 answers this alert where 3.0 closed the
			// connection, for the same causes.
			fix = noCommonGroundFix(srv)
		}
		return fmt.Sprintf("TLS handshake with %s failed: the server sent the TLS alert %q", addr, RootCause(pe.Err)), fix
	}
	if strings.Contains(pe.Err.Error(), "first record does not look like a TLS handshake") {
		return fmt.Sprintf("TLS handshake with %s failed: the server does not speak TLS on this port", addr), srv.PlainPortFix
	}
	return fmt.Sprintf("TLS handshake with %s failed: %s", addr, RootCause(pe.Err)), "see the " + srv.Name + " log for the TLS error: " + srv.TLSLog
}

// noCommonGroundFix is the fix when the server ends a handshake because it
// finds nothing the client accepts: OpenSSL 3.0 (Debian 12) closes the
// connection, 3.5 (Debian 13) sends a "handshake failure" alert.
func noCommonGroundFix(srv Server) string {
	return "see the " + srv.Name + " log for the TLS error (" + srv.TLSLog + "): the certificate and key (" + srv.CertAndKeySetting + ") must be an ECDSA or RSA (2048 bits or more) key with a SHA-256 chain (a DSA key or a DSA-signed chain fails with every modern client, as a server finds no certificate matching their signature algorithms), and " + srv.ProtocolSettings + " must allow a modern client"
}

// trustFix names the usual causes of an untrusted chain. An unknown
// authority is the certificate the served chain points to but that is
// neither sent nor trusted: a missing intermediate, or a CA the monitoring
// host does not know.
func trustFix(err error, chain []*x509.Certificate, cfg Config, srv Server) string {
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) || len(chain) == 0 {
		return "see the reason above; look at the served chain with: openssl s_client -connect HOST:PORT -showcerts"
	}
	last := chain[len(chain)-1]
	if selfSigned(last) {
		return fmt.Sprintf("the server sends a self-signed certificate (%q): serve one from a CA clients trust, or, for a private CA, pass it with --ca-file", last.Subject.String())
	}
	trust := "the system roots"
	if cfg.CAFile != "" {
		trust = "--ca-file " + cfg.CAFile
	}
	return fmt.Sprintf("the chain ends at issuer %q, which the server does not send and %s does not contain: if it is an intermediate, point %s at the full chain (e.g. fullchain.pem) and %s; if it is your private CA, pass it with --ca-file",
		last.Issuer.String(), trust, srv.CertSetting, srv.Reload)
}

// RootCause strips Go's wrapping ("dial tcp 127.0.0.1:1: connect: ...")
// down to the part an operator needs.
func RootCause(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		err = opErr.Err
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "tls: ")
	msg = strings.TrimPrefix(msg, "x509: ")
	// Go's advice to itself ("temporarily override with GODEBUG=...")
	// is not the operator's fix.
	if i := strings.Index(msg, " (temporarily override with GODEBUG"); i > 0 {
		msg = msg[:i]
	}
	return msg
}

// chainPath prints "CN=leaf <- CN=intermediate <- CN=root".
func chainPath(chain []*x509.Certificate) string {
	var names []string
	for _, c := range chain {
		names = append(names, shortName(c))
	}
	return strings.Join(names, " <- ")
}

func shortName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

// covers lists the names the leaf is valid for.
func covers(chain []*x509.Certificate) string {
	if len(chain) == 0 {
		return "nothing"
	}
	if sans := sanList(chain[0]); len(sans) > 0 {
		return strings.Join(sans, ", ")
	}
	return "no subject alternative names, CN " + chain[0].Subject.CommonName
}

func sanList(c *x509.Certificate) []string {
	var out []string
	out = append(out, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// describeCert is one long-output line per certificate of the verified
// path (leaf first); label names the certificate when the server has two.
func describeCert(label string, i int, c *x509.Certificate, now time.Time) string {
	line := fmt.Sprintf("chain[%d]: subject %q", i, c.Subject.String())
	if label != "" {
		line = label + ": " + line
	}
	if i == 0 {
		line += ", SANs " + strings.Join(sanList(c), " ")
	}
	lifetime := c.NotAfter.Sub(c.NotBefore)
	return line + fmt.Sprintf(", issuer %q, not after %s (%s certificate, %s left)", c.Issuer.String(), Stamp(c.NotAfter), lifetimeName(lifetime), signedLeft(c.NotAfter.Sub(now)))
}

// signedLeft is humanLeft with "-" once past.
func signedLeft(d time.Duration) string {
	if d < 0 {
		return "-" + humanLeft(d)
	}
	return humanLeft(d)
}

// Stamp prints a certificate date: "2026-03-01 12:00 UTC".
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }

// Seconds prints a duration as "0.012s".
func Seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}

// ExplainResolve is the finding for a host name that did not resolve.
func ExplainResolve(host string, pe *PhaseError) (text, fix string) {
	return fmt.Sprintf("DNS: cannot resolve %s: %s", host, RootCause(pe.Err)),
		fmt.Sprintf("check the name and its records: dig +short A %[1]s; dig +short AAAA %[1]s", host)
}
