package imaptls

import (
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// missingFacts lists what an OK for session s would speak about but the
// facts do not establish. Gather fills all of it or sets Err; this guard
// makes "OK" impossible even when it does not (a new phase, a bug), because
// an OK that nobody verified is the one failure this check must never have.
func missingFacts(cfg Config, s Session) []string {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	need(s.Err == nil, "a dialogue without an error (got "+errText(s.Err)+")")
	need(s.Handshaked && s.TLSVersion != 0, "a completed TLS handshake")
	need(len(s.Chain) > 0, "a served certificate")
	need(len(s.Cert.Verified) > 0 && s.Cert.TrustErr == nil, "a chain verified to a trusted root")
	need(s.Cert.NameErr == nil && s.Cert.Name != "", "a verified name")
	need(s.Cert.AcceptedNow && len(s.Cert.Refusals) == 0, "a chain a client accepts now")
	need(s.Greeting.Tag == "*" && (s.Greeting.Status == "OK" || s.Greeting.Status == "PREAUTH"), "a * OK greeting")
	if cfg.Login != "" {
		need(s.LoggedIn || s.Greeting.Status == "PREAUTH", "the login")
	}
	if cfg.Select != "" {
		need(s.Selected, "the SELECT")
	}
	return missing
}

func errText(pe *tlsjudge.PhaseError) string {
	if pe == nil {
		return "none"
	}
	return pe.Error()
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
		if m := missingFacts(cfg, s); len(m) > 0 {
			r.Add(plugin.Unknown, s.Addr.String()+": check incomplete, not established: "+strings.Join(m, "; "),
				"this is a bug in check_imaps_tls: report it with the -v output")
		}
	}
}
