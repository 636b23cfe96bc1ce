package smtptls

import (
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// missingFacts lists what an OK for session s would speak about but the
// facts do not establish: the guard that makes an unverified OK
// impossible, even after a bug in gather.
func missingFacts(cfg Config, f Facts, s Session) []string {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	t := s.TLS
	need(t.Err == nil, "a dialogue without an error")
	need(s.Greeting.Code == 220, "a 220 greeting")
	need(f.Implicit || s.PlainExt.StartTLS, "STARTTLS advertised")
	need(t.Handshaked && t.TLSVersion != 0, "a completed TLS handshake")
	need(len(t.Chain) > 0, "a served certificate")
	need(len(t.Cert.Verified) > 0 && t.Cert.TrustErr == nil, "a chain verified to a trusted root")
	need(t.Cert.NameErr == nil && t.Cert.Name != "", "a verified name")
	need(t.Cert.AcceptedNow && len(t.Cert.Refusals) == 0, "a chain a client accepts now")
	need(s.EHLOOverTLS, "EHLO over TLS")
	if cfg.Login != "" {
		need(s.LoggedIn, "the login")
	}
	return missing
}

// guardOK turns a result that would be OK into UNKNOWN when a session lacks
// a fact the OK speaks about.
func guardOK(r *plugin.Result, cfg Config, f Facts) {
	if r.State() != plugin.OK {
		return
	}
	if len(f.Sessions) == 0 {
		r.Add(plugin.Unknown, "no connection was attempted (no address to probe)", "")
		return
	}
	for _, s := range f.Sessions {
		if m := missingFacts(cfg, f, s); len(m) > 0 {
			r.Add(plugin.Unknown, s.TLS.Addr.String()+": check incomplete, not established: "+strings.Join(m, "; "),
				"this is a bug in check_smtp_tls: report it with the -v output")
		}
	}
}
