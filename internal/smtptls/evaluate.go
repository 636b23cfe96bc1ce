package smtptls

import (
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// Evaluate judges the gathered facts. It is pure: no I/O, the clock is
// f.Now. Every problem is one finding naming the phase, with the fix; every
// verified fact is an OK finding.
func Evaluate(cfg Config, f Facts) plugin.Result {
	var r plugin.Result
	if f.ResolveErr != nil {
		text, fix := tlsjudge.ExplainResolve(cfg.Host, f.ResolveErr)
		r.Add(plugin.Critical, text, fix)
	}
	multi := len(f.Sessions) > 1
	for i, s := range f.Sessions {
		e := sessionEval{cfg: cfg, f: f, s: s, r: &r}
		if multi {
			e.prefix = s.TLS.Addr.String() + ": "
		}
		e.fellBack = !cfg.TLS.AllAddresses && i < len(f.Sessions)-1
		e.run()
	}
	guardOK(&r, cfg, f)
	addMetrics(&r, cfg, f)
	r.Summary = summary(r, cfg, f)
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
	if e.prefix != "" && !strings.Contains(text, e.s.TLS.Addr.String()) {
		text = e.prefix + text
	}
	e.r.Add(state, text, fix)
}

// failed reports the session's error as CRITICAL when it happened in one of
// phases; true when it did (the dialogue ended there).
func (e *sessionEval) failed(phases ...tlsjudge.Phase) bool {
	pe := e.s.TLS.Err
	if pe == nil {
		return false
	}
	for _, p := range phases {
		if pe.Phase == p {
			text, fix := explain(e.cfg, e.f, e.s)
			e.add(plugin.Critical, text, fix)
			return true
		}
	}
	return false
}

func (e *sessionEval) run() {
	s := e.s
	if e.fellBack {
		text, fix := explain(e.cfg, e.f, s)
		e.add(plugin.Warning, text+"; fell back to the next address, as clients do (after the same delay)", fix)
		return
	}
	if e.failed(tlsjudge.PhaseConnect) {
		return
	}
	e.add(plugin.OK, fmt.Sprintf("connect: %s accepted in %s", s.TLS.Addr, tlsjudge.Seconds(s.TLS.Connect)), "")
	if !e.f.Implicit && !e.plainPhase() {
		return
	}
	if e.failed(tlsjudge.PhaseTLS) {
		return
	}
	e.tlsFacts()
	if e.f.Implicit {
		if e.failed(PhaseGreeting) {
			return
		}
		e.add(plugin.OK, fmt.Sprintf("greeting: 220 in %s", tlsjudge.Seconds(s.TLS.GreetingTime)), "")
	}
	if e.failed(PhaseEHLO) {
		return
	}
	if s.EHLOOverTLS {
		auth := "no AUTH"
		if s.Ext.AuthAdvertised() {
			auth = "AUTH " + strings.Join(s.Ext.Auth, " ")
		}
		e.add(plugin.OK, fmt.Sprintf("EHLO over TLS: %s, %s", s.Ext.Domain, auth), "")
	}
	e.login()
}

// plainPhase judges the greeting, EHLO and STARTTLS in clear text; false
// when the dialogue ended there.
func (e *sessionEval) plainPhase() bool {
	s, cfg := e.s, e.cfg
	if e.failed(PhaseGreeting) {
		return false
	}
	e.add(plugin.OK, fmt.Sprintf("greeting: 220 in %s", tlsjudge.Seconds(s.TLS.GreetingTime)), "")
	if e.failed(PhaseEHLO, PhaseStartTLS) {
		return false
	}
	e.add(plugin.OK, "STARTTLS: advertised and accepted", "")
	switch {
	case !s.PlainExt.AuthAdvertised():
		e.add(plugin.OK, "STARTTLS: no AUTH before TLS", "")
	case cfg.AllowPlaintextAuth:
		e.add(plugin.OK, "STARTTLS: AUTH is offered before TLS (allowed by --allow-plaintext-auth)", "")
	default:
		e.add(plugin.Warning, "STARTTLS: AUTH "+strings.Join(s.PlainExt.Auth, " ")+" is offered before TLS: passwords can be sent in clear text",
			"set smtpd_tls_auth_only = yes in main.cf (or -o smtpd_tls_auth_only=yes on the submission service in master.cf), then postfix reload; or accept it with --allow-plaintext-auth")
	}
	return true
}

// tlsFacts is the shared TLS judgement in Postfix's words.
func (e *sessionEval) tlsFacts() {
	tlsjudge.Judge(e.r, e.cfg.TLS, postfix, e.f.Now, e.f.DiskCert, e.s.TLS, e.prefix)
}

// login judges AUTH.
func (e *sessionEval) login() {
	s, cfg := e.s, e.cfg
	switch {
	case cfg.Login == "":
	case s.LoginSkipped != "":
		e.add(plugin.Warning, "AUTH: not attempted: "+s.LoginSkipped, "")
	case e.failed(PhaseAuth):
	case s.LoggedIn:
		e.add(plugin.OK, fmt.Sprintf("AUTH %s: logged in as %s in %s", s.Mechanism, cfg.Login, tlsjudge.Seconds(s.AuthTime)), "")
	}
}

// summary is the first line: the worst problems, or what was verified.
func summary(r plugin.Result, cfg Config, f Facts) string {
	if r.State() != plugin.OK {
		return tlsjudge.ProblemSummary(r)
	}
	mode := "SMTP STARTTLS"
	if f.Implicit {
		mode = "SMTPS"
	}
	s := f.Sessions[len(f.Sessions)-1]
	parts := []string{tls.VersionName(s.TLS.TLSVersion), fmt.Sprintf("certificate for %s trusted", s.TLS.Cert.Name)}
	if lifetime, left, ok := tlsjudge.SoonestExpiring(s.TLS, f.Now); ok {
		parts = append(parts, fmt.Sprintf("%s certificate, %s left", lifetime, left))
	}
	parts = append(parts, "220 greeting")
	if s.LoggedIn {
		parts = append(parts, "logged in as "+cfg.Login)
	}
	where := net.JoinHostPort(cfg.Host, strconv.Itoa(f.Port))
	if len(f.Sessions) > 1 {
		where += fmt.Sprintf(" (%d addresses)", len(f.Sessions))
	}
	return fmt.Sprintf("%s %s: %s", mode, where, plugin.Join(parts))
}
