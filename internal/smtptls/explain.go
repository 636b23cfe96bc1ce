package smtptls

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/imaptls"
	"github.com/mailhost-checks/mailchecks/internal/smtpdialog"
)

// explain turns a session's phase error into the finding's text (first
// words: the phase) and the fix, in Postfix's terms.
func explain(cfg Config, f Facts, s Session) (text, fix string) {
	pe := s.TLS.Err
	addr := s.TLS.Addr.String()
	switch pe.Phase {
	case imaptls.PhaseConnect:
		return explainConnect(f, s)
	case imaptls.PhaseTLS:
		return explainHandshake(cfg, f, s)
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
		if pe.Kind == imaptls.KindTimeout && !f.Implicit {
			fix = "if this port is implicit TLS (465), use --implicit-tls; otherwise " + fix
		}
		return "greeting: no SMTP greeting from " + addr + ": " + what, fix
	case PhaseEHLO:
		return "EHLO: " + what, "see the Postfix log (journalctl -u postfix): smtpd_helo_restrictions may refuse this client's EHLO name (set it with --ehlo)"
	case PhaseStartTLS:
		switch {
		case pe.Kind == imaptls.KindNotOffered:
			return "STARTTLS: " + what + ": clients cannot protect passwords or mail on this port",
				"enable TLS on this smtpd: smtpd_tls_security_level = may (encrypt on submission) with smtpd_tls_chain_files (or smtpd_tls_cert_file and smtpd_tls_key_file) in main.cf or the master.cf service's -o options, then postfix reload"
		case errors.Is(pe.Err, smtpdialog.ErrInjected), errors.Is(pe.Err, smtpdialog.ErrUnsolicited):
			return "STARTTLS: " + what + " (refused: a client that kept those bytes would read them as if sent over TLS)",
				"Postfix itself never does this: a proxy or middlebox between here and the mail host injects data into the SMTP session; check the path"
		}
		return "STARTTLS: " + what, "see the Postfix log for the TLS error (journalctl -u postfix --grep -i tls): smtpd_tls_chain_files, or smtpd_tls_cert_file and smtpd_tls_key_file, must be readable and match"
	case PhaseAuth:
		if pe.Kind == imaptls.KindRejected {
			return fmt.Sprintf("AUTH as %s failed: %s", cfg.Login, what),
				fmt.Sprintf("test the account on the mail host (with Dovecot SASL: doveadm auth test %s); check the password in --password-file or %s", cfg.Login, PasswordEnv)
		}
		return fmt.Sprintf("AUTH as %s: %s", cfg.Login, what), "see the Postfix log for SASL errors (journalctl -u postfix --grep -i sasl) and the auth service behind smtpd_sasl_path"
	}
	return string(pe.Phase) + ": " + what, "see the Postfix log (journalctl -u postfix)"
}

// describe says what went wrong in a phase after connect.
func describe(pe *imaptls.PhaseError) string {
	switch pe.Kind {
	case imaptls.KindTimeout:
		return "the server went silent for " + imaptls.Seconds(pe.After)
	case imaptls.KindClosed:
		return "the server closed the connection"
	case imaptls.KindReset:
		return "the connection was reset"
	case imaptls.KindTooLong:
		return "the server sent too much: " + imaptls.RootCause(pe.Err)
	case imaptls.KindNotOffered:
		return pe.Err.Error()
	}
	var reply *smtpdialog.ReplyError
	if errors.As(pe.Err, &reply) {
		return reply.Error()
	}
	var step *smtpdialog.StepError
	if errors.As(pe.Err, &step) {
		return imaptls.RootCause(step.Err)
	}
	return imaptls.RootCause(pe.Err)
}

func explainConnect(f Facts, s Session) (text, fix string) {
	pe, addr := s.TLS.Err, s.TLS.Addr.String()
	port := strconv.Itoa(f.Port)
	open := "firewall-cmd --permanent --add-port=" + port + "/tcp && firewall-cmd --reload"
	switch f.Port {
	case 25:
		open = "firewall-cmd --permanent --add-service=smtp && firewall-cmd --reload"
	case 465:
		open = "firewall-cmd --permanent --add-service=smtps && firewall-cmd --reload"
	case 587:
		open = "firewall-cmd --permanent --add-service=smtp-submission && firewall-cmd --reload"
	}
	refused := "on the mail host: is Postfix listening (ss -ltn 'sport = :" + port + "'; the service in master.cf, postconf -M; systemctl status postfix)? " +
		"does the runtime firewall allow it (firewall-cmd --list-services; " + open + ")? " + fail2banFix
	switch pe.Kind {
	case imaptls.KindRefused:
		return fmt.Sprintf("connect: %s refused the connection (port closed, firewall reject or Fail2ban ban)", addr), refused
	case imaptls.KindTimeout:
		return fmt.Sprintf("connect: no answer from %s within %s: the port looks filtered (packets dropped)", addr, imaptls.Seconds(pe.After)),
			"check the firewalls on the way: firewall-cmd --list-all on the mail host (port " + port + "/tcp), any cloud security group or router in between (many providers block port 25); " + fail2banFix
	case imaptls.KindHostUnreachable:
		return fmt.Sprintf("connect: %s rejected the connection with ICMP (no route to host): a firewall reject, as firewalld answers for a service the zone does not allow", addr),
			refused + "; if no firewall is involved, check the route: ip route get " + s.TLS.Addr.Addr().String()
	case imaptls.KindNetUnreachable:
		return fmt.Sprintf("connect: %s is unreachable from here: %s", addr, imaptls.RootCause(pe.Err)), "check the route to the mail host: ip route get " + s.TLS.Addr.Addr().String()
	}
	return fmt.Sprintf("connect: %s: %s", addr, imaptls.RootCause(pe.Err)), refused
}

func explainHandshake(cfg Config, f Facts, s Session) (text, fix string) {
	pe, addr := s.TLS.Err, s.TLS.Addr.String()
	logFix := "see the Postfix log for the TLS error (journalctl -u postfix --grep -i tls)"
	switch pe.Kind {
	case imaptls.KindTimeout:
		return fmt.Sprintf("TLS handshake: %s accepted the connection but the handshake stalled for %s", addr, imaptls.Seconds(pe.After)), logFix
	case imaptls.KindClosed, imaptls.KindReset:
		return fmt.Sprintf("TLS handshake: %s closed the connection during the handshake (%s)", addr, imaptls.RootCause(pe.Err)),
			logFix + ": the certificate and key (smtpd_tls_chain_files) must be an ECDSA or RSA (2048 bits or more) key with a SHA-256 chain, and smtpd_tls_protocols / smtpd_tls_ciphers must allow a modern client"
	}
	var remote *net.OpError
	if errors.As(pe.Err, &remote) && remote.Op == "remote error" {
		return fmt.Sprintf("TLS handshake with %s failed: the server sent the TLS alert %q", addr, imaptls.RootCause(pe.Err)),
			"compare what both sides accept: postconf smtpd_tls_protocols smtpd_tls_mandatory_protocols smtpd_tls_ciphers; " + logFix
	}
	if strings.Contains(pe.Err.Error(), "first record does not look like a TLS handshake") {
		fix := "this port speaks plain SMTP: use --starttls (ports 587 and 25); for implicit TLS check the smtps service in master.cf (-o smtpd_tls_wrappermode=yes)"
		return fmt.Sprintf("TLS handshake with %s failed: the server does not speak TLS on this port", addr), fix
	}
	return fmt.Sprintf("TLS handshake with %s failed: %s", addr, imaptls.RootCause(pe.Err)), logFix
}

// fail2banFix is the second suspect whenever the monitoring host cannot get in.
const fail2banFix = "and check that Fail2ban has not banned this monitoring host's IP: fail2ban-client banned (then fail2ban-client unban IP, and add it to ignoreip)"

// clip shortens a server's text for a finding.
func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// postfixWords rewords the shared TLS judgement's Dovecot fixes for
// Postfix: the same causes, Postfix's settings and reload.
var postfixWords = strings.NewReplacer(
	"the server still serves the old one: reload dovecot", "Postfix still serves the old one (renewed but not reloaded): run postfix reload",
	"doveadm reload (or systemctl reload dovecot)", "postfix reload (or systemctl reload postfix)",
	"certbot --deploy-hook 'systemctl reload dovecot'", "certbot --deploy-hook 'postfix reload'",
	"doveadm reload", "postfix reload",
	imaptls.DovecotSettingCertAndKey, "smtpd_tls_chain_files (or smtpd_tls_cert_file and smtpd_tls_key_file) in main.cf",
	imaptls.DovecotSettingCert, "smtpd_tls_chain_files (or smtpd_tls_cert_file) in main.cf",
	imaptls.DovecotConfCert, "postconf smtpd_tls_chain_files smtpd_tls_cert_file",
	"Dovecot is configured with", "Postfix is configured with",
	"ssl_min_protocol = TLSv1.2 in conf.d/10-ssl.conf", "smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2 in main.cf",
)
