package imaptls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// explain turns a session's phase error into the finding's text (first
// words: the phase) and the fix.
func explain(cfg Config, port int, s Session) (text, fix string) {
	pe := s.Err
	addr := s.Addr.String()
	after := seconds(pe.After)
	switch pe.Phase {
	case PhaseConnect:
		switch pe.Kind {
		case KindRefused:
			return fmt.Sprintf("connect: %s refused the connection (port closed, firewall reject or Fail2ban ban)", addr), refusedFix(cfg, port)
		case KindTimeout:
			return fmt.Sprintf("connect: no answer from %s within %s: the port looks filtered (packets dropped)", addr, after),
				"check the firewalls on the way: firewall-cmd --list-all on the mail host (the imaps service or port " +
					strconv.Itoa(port) + "/tcp), any cloud security group or router in between; " + fail2banFix
		case KindHostUnreachable:
			// firewalld rejects what a zone does not allow with an ICMP
			// "admin prohibited", which the client reports as "no route
			// to host": on a reachable host this is a firewall, not routing.
			return fmt.Sprintf("connect: %s rejected the connection with ICMP (no route to host): a firewall reject, as firewalld answers for a service the zone does not allow", addr),
				refusedFix(cfg, port) + "; if no firewall is involved, check the route: ip route get " + s.Addr.Addr().String()
		case KindNetUnreachable:
			return fmt.Sprintf("connect: %s is unreachable from here: %s", addr, rootCause(pe.Err)), "check the route to the mail host: ip route get " + s.Addr.Addr().String()
		}
		return fmt.Sprintf("connect: %s: %s", addr, rootCause(pe.Err)), refusedFix(cfg, port)
	case PhaseTLS:
		switch pe.Kind {
		case KindTimeout:
			return fmt.Sprintf("TLS handshake: %s accepted the connection but the handshake stalled for %s", addr, after),
				"see the Dovecot log (imap-login); an overloaded or hung login process stalls handshakes: doveadm reload, or systemctl restart dovecot"
		case KindTrickle:
			return fmt.Sprintf("TLS handshake: %s was still sending when the deadline passed, %s into the handshake: it sends too slowly (a trickle)", addr, after),
				greetingFix(cfg, KindTrickle)
		case KindClosed, KindReset:
			return fmt.Sprintf("TLS handshake: %s closed the connection during the handshake (%s)", addr, rootCause(pe.Err)),
				noCommonGroundFix
		}
		// crypto/tls reports a received alert as a net.OpError "remote
		// error" (its alert type is unexported; tls.AlertError is QUIC's).
		var remote *net.OpError
		if errors.As(pe.Err, &remote) && remote.Op == "remote error" {
			fix := "compare what both sides accept: doveconf ssl_min_protocol ssl_cipher_list; --min-tls only judges after a handshake"
			if strings.Contains(pe.Err.Error(), "handshake failure") {
				// OpenSSL 3.5 answers this alert where 3.0 closed the
				// connection, for the same causes.
				fix = noCommonGroundFix
			}
			return fmt.Sprintf("TLS handshake with %s failed: the server sent the TLS alert %q", addr, rootCause(pe.Err)), fix
		}
		if strings.Contains(pe.Err.Error(), "first record does not look like a TLS handshake") {
			return fmt.Sprintf("TLS handshake with %s failed: the server does not speak TLS on this port", addr),
				"if this is the plain IMAP port, use --starttls (port 143); for implicit TLS check the imaps listener in conf.d/10-master.conf"
		}
		return fmt.Sprintf("TLS handshake with %s failed: %s", addr, rootCause(pe.Err)),
			"see the Dovecot log for the SSL error: journalctl -u dovecot --grep -i ssl"
	case PhaseGreeting, PhaseCapability, PhaseStartTLS, PhaseLogin, PhaseSelect:
		return explainIMAP(cfg, s)
	}
	return fmt.Sprintf("%s: %s", pe.Phase, rootCause(pe.Err)), ""
}

// explainIMAP covers failures once the connection is up.
func explainIMAP(cfg Config, s Session) (text, fix string) {
	pe := s.Err
	phase := string(pe.Phase)
	var what string
	switch pe.Kind {
	case KindTimeout:
		what = "the server went silent for " + seconds(pe.After)
	case KindTrickle:
		what = "the server was still sending when the deadline passed, " + seconds(pe.After) + " into the phase: it sends too slowly (a trickle)"
	case KindClosed:
		what = "the server closed the connection"
	case KindReset:
		what = "the connection was reset"
	case KindTooLong:
		what = "the server sent too much: " + pe.Err.Error()
	case KindNotOffered:
		what = pe.Err.Error()
	default:
		what = rootCause(pe.Err)
	}
	var bye *ByeError
	if errors.As(pe.Err, &bye) {
		what += fmt.Sprintf(" after * BYE %q", bye.Text)
	}
	switch pe.Phase {
	case PhaseGreeting:
		return "greeting: no IMAP greeting: " + what, greetingFix(cfg, pe.Kind)
	case PhaseStartTLS:
		if pe.Kind == KindPreauthPlain {
			return "STARTTLS: " + what + " (RFC 9051: a client that requires TLS must disconnect; nothing was sent)",
				"Dovecot pre-authenticates only through login_trusted_networks or a preauth wrapper on the plain port: check doveconf login_trusted_networks; if Dovecot does not send it, something between this host and the mail host rewrites the connection (a STARTTLS-stripping middlebox)"
		}
		if pe.Kind == KindNotOffered {
			return "STARTTLS: " + what, "enable TLS in Dovecot: ssl = yes (or required) with " + settingCertAndKey + " in conf.d/10-ssl.conf, then doveadm reload"
		}
		return "STARTTLS: " + what, "see the Dovecot log (journalctl -u dovecot --grep -i ssl)"
	case PhaseLogin:
		if pe.Kind == KindRejected {
			return fmt.Sprintf("LOGIN as %s failed: %s", cfg.Login, what),
				fmt.Sprintf("test the account on the mail host: doveadm auth test %s; check the password in --password-file or %s", cfg.Login, PasswordEnv)
		}
		return fmt.Sprintf("LOGIN as %s: %s", cfg.Login, what), "see the Dovecot log for the auth process (journalctl -u dovecot --grep auth)"
	case PhaseSelect:
		fix := fmt.Sprintf("check the mailbox exists (doveadm mailbox list -u %s); if it does, rebuild its index: doveadm force-resync -u %s %q", cfg.Login, cfg.Login, cfg.Select)
		if pe.Kind == KindRejected {
			return fmt.Sprintf("SELECT %s failed: %s", cfg.Select, what), fix
		}
		return fmt.Sprintf("SELECT %s: %s (a corrupt or bloated index can crash or stall the imap process)", cfg.Select, what), fix
	}
	return phase + ": " + what, "see the Dovecot log (journalctl -u dovecot)"
}

// greetingFix names the causes of each way a greeting can fail: only a
// silent server points at exhausted login processes.
func greetingFix(cfg Config, kind Kind) string {
	switch kind {
	case KindTimeout:
		fix := "the login processes may be exhausted or hung: see the Dovecot log and doveadm who; check service imap-login process_limit, then systemctl restart dovecot"
		if cfg.StartTLS {
			// A TLS port waits for our ClientHello while we wait for its greeting.
			fix = "if this port is implicit TLS (993), drop --starttls; otherwise " + fix
		}
		return fix
	case KindTrickle:
		return "bytes arrive, but too slowly: an overloaded mail host (uptime, iostat), a congested or lossy path (mtr to the host), or a tarpit/IPS in front of Dovecot; Dovecot itself writes its greeting at once"
	case KindTooLong:
		return "Dovecot's greeting is one short line: whatever answers on this port is not Dovecot, or a proxy in front of it misbehaves: ss -ltnp 'sport = :" + strconv.Itoa(cfg.port()) + "' on the mail host"
	case KindClosed:
		return "the server hung up before greeting: Dovecot does so when a connection limit is hit (imap-login client_limit, process_limit, mail_max_userip_connections) or when it drops this IP (login_access_sockets, a TCP wrapper); see the Dovecot log (journalctl -u dovecot)"
	case KindReset:
		return "the connection was reset before the greeting: a firewall or IPS resetting it, or a crashing imap-login (journalctl -u dovecot for 'killed with signal')"
	}
	return "see the Dovecot log (journalctl -u dovecot)"
}

// fail2banFix is the second suspect whenever the monitoring host cannot get in.
const fail2banFix = "and check that Fail2ban has not banned this monitoring host's IP: fail2ban-client banned (then fail2ban-client unban IP, and add it to ignoreip)"

func refusedFix(cfg Config, port int) string {
	open := fmt.Sprintf("firewall-cmd --permanent --add-port=%d/tcp && firewall-cmd --reload", port)
	switch port {
	case 993:
		open = "firewall-cmd --permanent --add-service=imaps && firewall-cmd --reload"
	case 143:
		open = "firewall-cmd --permanent --add-service=imap && firewall-cmd --reload"
	}
	return "on the mail host: is Dovecot listening (ss -ltn 'sport = :" + strconv.Itoa(port) + "', systemctl status dovecot)? " +
		"does the runtime firewall allow it (firewall-cmd --list-services; " + open + ")? " + fail2banFix
}

// trustFix names the usual causes of an untrusted chain. An unknown
// authority is the certificate the served chain points to but that is
// neither sent nor trusted: a missing intermediate, or a CA the monitoring
// host does not know.
func trustFix(err error, chain []*x509.Certificate, cfg Config) string {
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) || len(chain) == 0 {
		return "see the reason above; look at the served chain with: openssl s_client -connect HOST:PORT -showcerts"
	}
	last := chain[len(chain)-1]
	if bytesEqualName(last) {
		return fmt.Sprintf("the server sends a self-signed certificate (%q): serve one from a CA clients trust, or, for a private CA, pass it with --ca-file", last.Subject.String())
	}
	trust := "the system roots"
	if cfg.CAFile != "" {
		trust = "--ca-file " + cfg.CAFile
	}
	return fmt.Sprintf("the chain ends at issuer %q, which the server does not send and %s does not contain: if it is an intermediate, point "+settingCert+" at the full chain (e.g. fullchain.pem) and doveadm reload; if it is your private CA, pass it with --ca-file",
		last.Issuer.String(), trust)
}

// bytesEqualName reports a self-signed certificate (issuer = subject).
func bytesEqualName(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject)
}

// rootCause strips Go's wrapping ("dial tcp 127.0.0.1:1: connect: ...")
// down to the part an operator needs.
func rootCause(err error) string {
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
	return line + fmt.Sprintf(", issuer %q, not after %s (%s certificate, %s left)", c.Issuer.String(), stamp(c.NotAfter), lifetimeName(lifetime), signedLeft(c.NotAfter.Sub(now)))
}

// signedLeft is humanLeft with "-" once past.
func signedLeft(d time.Duration) string {
	if d < 0 {
		return "-" + humanLeft(d)
	}
	return humanLeft(d)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}

// summary is the first line: the worst problems, or what was verified.
func summary(r plugin.Result, cfg Config, f Facts, target string) string {
	worst := r.State()
	if worst != plugin.OK {
		var texts []string
		for _, fd := range r.Findings {
			if fd.State == worst {
				texts = append(texts, fd.Text)
			}
		}
		more := ""
		if len(texts) > 2 {
			more = fmt.Sprintf(" (+%d more)", len(texts)-2)
			texts = texts[:2]
		}
		return strings.Join(texts, "; ") + more
	}
	mode := "IMAPS"
	if cfg.StartTLS {
		mode = "IMAP STARTTLS"
	}
	var s Session
	if len(f.Sessions) > 0 {
		s = f.Sessions[len(f.Sessions)-1]
	}
	parts := []string{tls.VersionName(s.TLSVersion)}
	if len(s.Chain) > 0 {
		parts = append(parts, fmt.Sprintf("certificate for %s trusted", s.Cert.Name))
		if c, ok := soonestExpiring(s, f.Now); ok {
			lifetime := c.NotAfter.Sub(c.NotBefore)
			parts = append(parts, fmt.Sprintf("%s certificate, %s left", lifetimeName(lifetime), humanLeft(c.NotAfter.Sub(f.Now))))
		}
	}
	parts = append(parts, "* OK greeting")
	if s.LoggedIn {
		parts = append(parts, "logged in as "+cfg.Login)
	}
	if s.Selected {
		parts = append(parts, fmt.Sprintf("%s has %d messages", cfg.Select, s.Exists))
	}
	where := target
	if len(f.Sessions) > 1 {
		where += fmt.Sprintf(" (%d addresses)", len(f.Sessions))
	}
	return fmt.Sprintf("%s %s: %s", mode, where, plugin.Join(parts))
}

// noCommonGroundFix is the fix when the server ends a handshake because it
// finds nothing the client accepts: OpenSSL 3.0 (Debian 12) closes the
// connection, 3.5 (Debian 13) sends a "handshake failure" alert.
const noCommonGroundFix = "see the Dovecot log for the SSL error (journalctl -u dovecot --grep -i ssl): the certificate and key (" + settingCertAndKey + ") must be an ECDSA or RSA (2048 bits or more) key with a SHA-256 chain (a DSA key or a DSA-signed chain fails with every modern client, as a server finds no certificate matching their signature algorithms), and ssl_min_protocol and ssl_cipher_list must allow a modern client"
