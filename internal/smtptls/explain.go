package smtptls

import (
	"errors"
	"fmt"

	"github.com/mailhost-checks/mailchecks/internal/smtpdialog"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// explain turns a session's phase error into the finding's text (first
// words: the phase) and the fix, in Postfix's terms.
func explain(cfg Config, f Facts, s Session) (text, fix string) {
	pe := s.TLS.Err
	addr := s.TLS.Addr.String()
	switch pe.Phase {
	case tlsjudge.PhaseConnect:
		return tlsjudge.ExplainConnect(postfix, f.Port, s.TLS)
	case tlsjudge.PhaseTLS:
		return tlsjudge.ExplainHandshake(postfix, s.TLS)
	}
	what := describe(pe)
	switch pe.Phase {
	case PhaseGreeting:
		var reply *smtpdialog.ReplyError
		if errors.As(pe.Err, &reply) {
			return fmt.Sprintf("greeting: %s refused the session: %s", addr, clip(reply.Reply.String())),
				"see the Postfix log (journalctl -u postfix or /var/log/mail.log): a 421 or 554 greeting is a connection or rate limit (smtpd_client_connection_count_limit, anvil), postscreen, or a shutdown"
		}
		fix := "see the Postfix log (journalctl -u postfix); check that smtpd runs for this port in master.cf (postconf -M)"
		if pe.Kind == tlsjudge.KindTimeout && !f.Implicit {
			fix = "if this port is implicit TLS (465), use --implicit-tls; otherwise " + fix
		}
		return "greeting: no SMTP greeting from " + addr + ": " + what, fix
	case PhaseEHLO:
		return "EHLO: " + what, "see the Postfix log (journalctl -u postfix): smtpd_helo_restrictions may refuse this client's EHLO name (set it with --ehlo)"
	case PhaseStartTLS:
		switch {
		case pe.Kind == tlsjudge.KindNotOffered:
			return "STARTTLS: " + what + ": clients cannot protect passwords or mail on this port",
				"enable TLS on this smtpd: smtpd_tls_security_level = may (encrypt on submission) with smtpd_tls_chain_files (or smtpd_tls_cert_file and smtpd_tls_key_file) in main.cf or the master.cf service's -o options, then postfix reload"
		case errors.Is(pe.Err, smtpdialog.ErrInjected), errors.Is(pe.Err, smtpdialog.ErrUnsolicited):
			return "STARTTLS: " + what + " (refused: a client that kept those bytes would read them as if sent over TLS)",
				"Postfix itself never does this: a proxy or middlebox between here and the mail host injects data into the SMTP session; check the path"
		}
		return "STARTTLS: " + what, "see the Postfix log for the TLS error (journalctl -u postfix --grep -i tls): smtpd_tls_chain_files, or smtpd_tls_cert_file and smtpd_tls_key_file, must be readable and match"
	case PhaseAuth:
		if pe.Kind == tlsjudge.KindRejected {
			return fmt.Sprintf("AUTH as %s failed: %s", cfg.Login, what),
				fmt.Sprintf("test the account on the mail host (with Dovecot SASL: doveadm auth test %s); check the password in --password-file or %s", cfg.Login, PasswordEnv)
		}
		return fmt.Sprintf("AUTH as %s: %s", cfg.Login, what), "see the Postfix log for SASL errors (journalctl -u postfix --grep -i sasl) and the auth service behind smtpd_sasl_path"
	}
	return string(pe.Phase) + ": " + what, "see the Postfix log (journalctl -u postfix)"
}

// describe says what went wrong in a phase after connect.
func describe(pe *tlsjudge.PhaseError) string {
	switch pe.Kind {
	case tlsjudge.KindTimeout:
		return "the server went silent for " + tlsjudge.Seconds(pe.After)
	case tlsjudge.KindClosed:
		return "the server closed the connection"
	case tlsjudge.KindReset:
		return "the connection was reset"
	case tlsjudge.KindTooLong:
		return "the server sent too much: " + tlsjudge.RootCause(pe.Err)
	case tlsjudge.KindNotOffered:
		return pe.Err.Error()
	}
	var reply *smtpdialog.ReplyError
	if errors.As(pe.Err, &reply) {
		return reply.Error()
	}
	var step *smtpdialog.StepError
	if errors.As(pe.Err, &step) {
		return tlsjudge.RootCause(step.Err)
	}
	return tlsjudge.RootCause(pe.Err)
}

// clip shortens a server's text for a finding.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
