package imaptls

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// Evaluate judges the gathered facts. It is pure: no I/O, the clock is
// f.Now. Every problem is one finding naming the phase, with the fix when
// an operator can apply one; every verified fact is an OK finding, so a
// result is never OK about something that was not checked.
func Evaluate(cfg Config, f Facts) plugin.Result {
	var r plugin.Result
	target := net.JoinHostPort(cfg.Host, strconv.Itoa(f.Port))
	if f.ResolveErr != nil {
		text, fix := tlsjudge.ExplainResolve(cfg.Host, f.ResolveErr)
		r.Add(plugin.Critical, text, fix)
		r.Summary = r.Findings[0].Text
		return r
	}
	multi := len(f.Sessions) > 1
	for i, s := range f.Sessions {
		e := sessionEval{cfg: cfg, f: f, s: s, r: &r}
		if multi {
			e.prefix = s.Addr.String() + ": "
		}
		// Without --all-addresses, earlier sessions are addresses that
		// failed to connect before one worked: clients fall back too, but
		// only after the same failure (a timeout can cost them minutes).
		e.fellBack = !cfg.AllAddresses && i < len(f.Sessions)-1
		e.run()
	}
	guardOK(&r, cfg, f)
	addMetrics(&r, cfg, f)
	r.Summary = summary(r, cfg, f, target)
	return r
}

// sessionEval judges one session; prefix names the address when there are
// several.
type sessionEval struct {
	cfg      Config
	f        Facts
	s        Session
	r        *plugin.Result
	prefix   string
	fellBack bool
}

func (e *sessionEval) add(state plugin.State, text, fix string) {
	if e.prefix != "" && !strings.Contains(text, e.s.Addr.String()) {
		text = e.prefix + text
	}
	e.r.Add(state, text, fix)
}

func (e *sessionEval) run() {
	s, cfg := e.s, e.cfg
	// RFC 3501 7.1: the text of an [ALERT] must be shown to the user; every
	// user of this server sees it, so the operator should too, whatever
	// else happened.
	defer func() {
		for _, a := range s.Alerts {
			e.add(plugin.Warning, fmt.Sprintf("server alert, shown to every user: %q", a),
				"read it: the server's operator (or a Dovecot plugin, e.g. quota or a shutdown notice) sends it; it clears when the server stops sending [ALERT]")
		}
	}()
	if e.fellBack {
		text, fix := explain(cfg, e.f.Port, s)
		e.add(plugin.Warning, text+"; fell back to the next address, as clients do (after the same delay)", fix)
		return
	}
	if s.Err != nil && s.Err.Phase == tlsjudge.PhaseConnect {
		text, fix := explain(cfg, e.f.Port, s)
		e.add(plugin.Critical, text, fix)
		return
	}
	e.add(plugin.OK, fmt.Sprintf("connect: %s accepted in %s", s.Addr, tlsjudge.Seconds(s.Connect)), "")
	if cfg.StartTLS {
		if !e.plainPhase() {
			return
		}
	}
	if s.Err != nil && s.Err.Phase == tlsjudge.PhaseTLS {
		text, fix := explain(cfg, e.f.Port, s)
		e.add(plugin.Critical, text, fix)
		return
	}
	e.tlsFacts()
	if !cfg.StartTLS && !e.greeting() {
		return
	}
	if s.Err != nil && s.Err.Phase == PhaseCapability {
		text, fix := explain(cfg, e.f.Port, s)
		e.add(plugin.Critical, text, fix)
		return
	}
	for _, want := range cfg.ExpectCapabilities {
		if hasCap(s.Caps, want) {
			e.add(plugin.OK, "CAPABILITY: "+strings.ToUpper(want)+" advertised", "")
		} else if strings.EqualFold(want, "IMAP4rev1") && hasCap(s.Caps, "IMAP4rev2") {
			// RFC 9051 obsoletes RFC 3501: a server may advertise only
			// IMAP4rev2, which every IMAP4rev1 client speaks to.
			e.add(plugin.OK, "CAPABILITY: IMAP4REV1 expected, IMAP4rev2 advertised (RFC 9051, its successor)", "")
		} else {
			e.add(plugin.Warning, fmt.Sprintf("CAPABILITY: %s is not advertised (server offers: %s)", strings.ToUpper(want), strings.Join(s.Caps, " ")),
				"enable it in Dovecot (see doveconf imap_capability mail_plugins protocols), then doveadm reload")
		}
	}
	e.login()
}

// plainPhase judges what happened before STARTTLS; false when the dialogue
// ended there.
func (e *sessionEval) plainPhase() bool {
	s, cfg := e.s, e.cfg
	if s.Err != nil {
		switch s.Err.Phase {
		case PhaseGreeting, PhaseCapability, PhaseStartTLS:
			if s.Err.Phase == PhaseGreeting && s.Err.Kind == tlsjudge.KindRejected {
				e.greetingVerdict() // a greeting was read: BYE or not IMAP
				return false
			}
			text, fix := explain(cfg, e.f.Port, s)
			e.add(plugin.Critical, text, fix)
			return false
		}
	}
	if !e.greetingVerdict() {
		return false
	}
	e.add(plugin.OK, "STARTTLS: advertised and accepted", "")
	switch {
	case hasCap(s.PlainCaps, "LOGINDISABLED"):
		e.add(plugin.OK, "STARTTLS: LOGINDISABLED before TLS", "")
	case cfg.AllowPlaintextLogin:
		e.add(plugin.OK, "STARTTLS: LOGIN is offered before TLS (allowed by --allow-plaintext-login)", "")
	default:
		e.add(plugin.Warning, "STARTTLS: the server does not advertise LOGINDISABLED before TLS: passwords can be sent in clear text",
			"set "+settingNoCleartext+" in conf.d/10-auth.conf, then doveadm reload; or accept it with --allow-plaintext-login")
	}
	return true
}

// greeting judges the greeting over implicit TLS; false when the dialogue
// ended there.
func (e *sessionEval) greeting() bool {
	s := e.s
	if s.Err != nil && s.Err.Phase == PhaseGreeting && s.Err.Kind != tlsjudge.KindRejected {
		text, fix := explain(e.cfg, e.f.Port, s)
		e.add(plugin.Critical, text, fix)
		return false
	}
	return e.greetingVerdict()
}

// greetingLabel names where the greeting's text came from: with STARTTLS it
// was read in clear text, where anyone on the path could have written it.
func (e *sessionEval) greetingLabel() string {
	if e.cfg.StartTLS {
		return "greeting (before TLS, unauthenticated)"
	}
	return "greeting"
}

// greetingVerdict judges a greeting line that was read.
func (e *sessionEval) greetingVerdict() bool {
	g := e.s.Greeting
	switch {
	case g.Tag == "*" && g.Status == "OK" && strings.HasPrefix(g.Text, "Waiting for authentication process"):
		// Dovecot greets this way when its auth service does not answer
		// (a hung passdb: LDAP, SQL): the port works, logins will not.
		e.add(plugin.Warning, e.greetingLabel()+": "+g.Line+": Dovecot's auth service is not answering, logins will stall or fail",
			"doveadm log errors; check the passdb/userdb backend (LDAP, SQL) is reachable; systemctl restart dovecot if auth is hung")
		return true
	case g.Tag == "*" && g.Status == "OK":
		e.add(plugin.OK, fmt.Sprintf("greeting: * OK in %s", tlsjudge.Seconds(e.s.GreetingTime)), "")
		return true
	case g.Tag == "*" && g.Status == "PREAUTH":
		e.add(plugin.Warning, "greeting: * PREAUTH: the server logged this connection in without credentials",
			"check why Dovecot pre-authenticates clients from this address (login_trusted_networks, a preauth imap wrapper)")
		return true
	case g.Tag == "*" && g.Status == "BYE":
		e.add(plugin.Critical, e.greetingLabel()+": the server refused the session: * BYE "+g.Text,
			"see the Dovecot log (journalctl -u dovecot): BYE at connect usually means a process or connection limit (service imap-login process_limit, mail_max_userip_connections) or a shutdown")
	default:
		e.add(plugin.Critical, fmt.Sprintf("%s: not an IMAP greeting: %q", e.greetingLabel(), g.Line),
			"is this port IMAP? check what listens: ss -ltnp 'sport = :"+strconv.Itoa(e.f.Port)+"'")
	}
	return false
}

// login judges LOGIN and SELECT.
func (e *sessionEval) login() {
	s, cfg := e.s, e.cfg
	if cfg.Login == "" && cfg.Select == "" {
		return
	}
	preauth := s.Greeting.Status == "PREAUTH"
	switch {
	case cfg.Login == "":
	case preauth:
		e.add(plugin.OK, "LOGIN: not needed, "+s.LoginSkipped, "")
	case s.LoginSkipped != "":
		// The certificate finding says why; this line says what was not checked.
		e.add(plugin.Warning, "LOGIN: not attempted: "+s.LoginSkipped, "")
		return
	case s.Err != nil && s.Err.Phase == PhaseLogin:
		text, fix := explain(cfg, e.f.Port, s)
		e.add(plugin.Critical, text, fix)
		return
	case s.LoggedIn:
		e.add(plugin.OK, "LOGIN: logged in as "+cfg.Login, "")
	}
	if cfg.Select == "" {
		return
	}
	if s.Err != nil && s.Err.Phase == PhaseSelect {
		text, fix := explain(cfg, e.f.Port, s)
		e.add(plugin.Critical, text, fix)
		return
	}
	if s.Selected {
		e.add(plugin.OK, fmt.Sprintf("SELECT: %s opened, %d messages", cfg.Select, s.Exists), "")
	}
}

// tlsFacts is the shared TLS judgement (tlsjudge.Judge) in Dovecot's words.
func (e *sessionEval) tlsFacts() {
	tlsjudge.Judge(e.r, e.cfg.judgeConfig(), dovecot, e.f.Now, e.f.DiskCert, e.s.Session, e.prefix)
}
