package smtptls

import (
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// PerfLabels are the perfdata labels, the same in every state.
var PerfLabels = []string{"connect_time", "greeting_time", "tls_time", "auth_time", "total_time", "days_left"}

// addMetrics writes the perfdata: the slowest of the sessions per phase, in
// seconds, "U" for a phase that was not reached (or, auth_time, not asked
// for); days_left as check_imaps_tls's.
func addMetrics(r *plugin.Result, cfg Config, f Facts) {
	var connect, greeting, handshake, auth, total time.Duration
	var hasConnect, hasGreeting, hasTLS, hasAuth bool
	tlsSessions := make([]tlsjudge.Session, 0, len(f.Sessions))
	for _, s := range f.Sessions {
		t := s.TLS
		tlsSessions = append(tlsSessions, t)
		total = max(total, t.Total)
		if t.Err == nil || t.Err.Phase != tlsjudge.PhaseConnect {
			connect, hasConnect = max(connect, t.Connect), true
		}
		if s.Greeting.Code != 0 {
			greeting, hasGreeting = max(greeting, t.GreetingTime), true
		}
		if t.Handshaked {
			handshake, hasTLS = max(handshake, t.Handshake), true
		}
		if s.LoggedIn {
			auth, hasAuth = max(auth, s.AuthTime), true
		}
	}
	timeMetric := func(label string, d time.Duration, ok bool) {
		r.Metric(plugin.Metric{Label: label, Value: d.Seconds(), UOM: "s", Min: "0", Unmeasured: !ok})
	}
	timeMetric("connect_time", connect, hasConnect)
	timeMetric("greeting_time", greeting, hasGreeting)
	timeMetric("tls_time", handshake, hasTLS)
	timeMetric("auth_time", auth, hasAuth)
	timeMetric("total_time", total, len(f.Sessions) > 0)
	r.Metric(tlsjudge.DaysLeftMetric(cfg.TLS, f.Now, tlsSessions))
}
