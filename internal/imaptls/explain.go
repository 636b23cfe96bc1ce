package imaptls

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// explain turns a session's phase error into the finding's text (first
// words: the phase) and the fix.
func explain(cfg Config, port int, s Session) (text, fix string) {
	pe := s.Err
	switch pe.Phase {
	case tlsjudge.PhaseConnect:
		return tlsjudge.ExplainConnect(dovecot, port, s.Session)
	case tlsjudge.PhaseTLS:
		return tlsjudge.ExplainHandshake(dovecot, s.Session)
	case PhaseGreeting, PhaseCapability, PhaseStartTLS, PhaseLogin, PhaseSelect:
		return explainIMAP(cfg, s)
	}
	return fmt.Sprintf("%s: %s", pe.Phase, tlsjudge.RootCause(pe.Err)), ""
}

// explainIMAP covers failures once the connection is up.
func explainIMAP(cfg Config, s Session) (text, fix string) {
	pe := s.Err
	phase := string(pe.Phase)
	var what string
	switch pe.Kind {
	case tlsjudge.KindTimeout:
		what = "the server went silent for " + tlsjudge.Seconds(pe.After)
	case tlsjudge.KindTrickle:
		what = "the server was still sending when the deadline passed, " + tlsjudge.Seconds(pe.After) + " into the phase: it sends too slowly (a trickle)"
	case tlsjudge.KindClosed:
		what = "the server closed the connection"
	case tlsjudge.KindReset:
		what = "the connection was reset"
	case tlsjudge.KindTooLong:
		what = "the server sent too much: " + pe.Err.Error()
	case tlsjudge.KindNotOffered:
		what = pe.Err.Error()
	default:
		what = tlsjudge.RootCause(pe.Err)
	}
	var bye *ByeError
	if errors.As(pe.Err, &bye) {
		what += fmt.Sprintf(" after * BYE %q", bye.Text)
	}
	switch pe.Phase {
	case PhaseGreeting:
		return "greeting: no IMAP greeting: " + what, greetingFix(cfg, pe.Kind)
	case PhaseStartTLS:
		if pe.Kind == tlsjudge.KindPreauthPlain {
			return "STARTTLS: " + what + " (RFC 9051: a client that requires TLS must disconnect; nothing was sent)",
				"Dovecot pre-authenticates only through login_trusted_networks or a preauth wrapper on the plain port: check doveconf login_trusted_networks; if Dovecot does not send it, something between this host and the mail host rewrites the connection (a STARTTLS-stripping middlebox)"
		}
		if pe.Kind == tlsjudge.KindNotOffered {
			return "STARTTLS: " + what, "enable TLS in Dovecot: ssl = yes (or required) with " + settingCertAndKey + " in conf.d/10-ssl.conf, then doveadm reload"
		}
		return "STARTTLS: " + what, "see the Dovecot log (journalctl -u dovecot --grep -i ssl)"
	case PhaseLogin:
		if pe.Kind == tlsjudge.KindRejected {
			return fmt.Sprintf("LOGIN as %s failed: %s", cfg.Login, what),
				fmt.Sprintf("test the account on the mail host: doveadm auth test %s; check the password in --password-file or %s", cfg.Login, PasswordEnv)
		}
		return fmt.Sprintf("LOGIN as %s: %s", cfg.Login, what), "see the Dovecot log for the auth process (journalctl -u dovecot --grep auth)"
	case PhaseSelect:
		fix := fmt.Sprintf("check the mailbox exists (doveadm mailbox list -u %s); if it does, rebuild its index: doveadm force-resync -u %s %q", cfg.Login, cfg.Login, cfg.Select)
		if pe.Kind == tlsjudge.KindRejected {
			return fmt.Sprintf("SELECT %s failed: %s", cfg.Select, what), fix
		}
		return fmt.Sprintf("SELECT %s: %s (a corrupt or bloated index can crash or stall the imap process)", cfg.Select, what), fix
	}
	return phase + ": " + what, "see the Dovecot log (journalctl -u dovecot)"
}

// greetingFix names the causes of each way a greeting can fail: only a
// silent server points at exhausted login processes.
func greetingFix(cfg Config, kind tlsjudge.Kind) string {
	switch kind {
	case tlsjudge.KindTimeout:
		fix := "the login processes may be exhausted or hung: see the Dovecot log and doveadm who; check service imap-login process_limit, then systemctl restart dovecot"
		if cfg.StartTLS {
			// A TLS port waits for our ClientHello while we wait for its greeting.
			fix = "if this port is implicit TLS (993), drop --starttls; otherwise " + fix
		}
		return fix
	case tlsjudge.KindTrickle:
		return "bytes arrive, but too slowly: an overloaded mail host (uptime, iostat), a congested or lossy path (mtr to the host), or a tarpit/IPS in front of Dovecot; Dovecot itself writes its greeting at once"
	case tlsjudge.KindTooLong:
		return "Dovecot's greeting is one short line: whatever answers on this port is not Dovecot, or a proxy in front of it misbehaves: ss -ltnp 'sport = :" + strconv.Itoa(cfg.port()) + "' on the mail host"
	case tlsjudge.KindClosed:
		return "the server hung up before greeting: Dovecot does so when a connection limit is hit (imap-login client_limit, process_limit, mail_max_userip_connections) or when it drops this IP (login_access_sockets, a TCP wrapper); see the Dovecot log (journalctl -u dovecot)"
	case tlsjudge.KindReset:
		return "the connection was reset before the greeting: a firewall or IPS resetting it, or a crashing imap-login (journalctl -u dovecot for 'killed with signal')"
	}
	return "see the Dovecot log (journalctl -u dovecot)"
}

// summary is the first line: the worst problems, or what was verified.
func summary(r plugin.Result, cfg Config, f Facts, target string) string {
	if r.State() != plugin.OK {
		return tlsjudge.ProblemSummary(r)
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
		if lifetime, left, ok := tlsjudge.SoonestExpiring(s.Session, f.Now); ok {
			parts = append(parts, fmt.Sprintf("%s certificate, %s left", lifetime, left))
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
