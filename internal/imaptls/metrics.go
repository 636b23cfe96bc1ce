package imaptls

import (
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// addMetrics writes the perfdata: the same five labels in every state, so
// that a grapher's files keep their shape. Times are the slowest over the
// sessions (what the unluckiest client sees), in seconds; days_left is the
// time left on the certificate that decides the state, in days without a
// unit (Icinga 2 reads "d" as a time unit and turns it into seconds), with
// the thresholds it was judged by as plain numbers of days. A value that was
// not measured (no handshake, no certificate) is "U", as the Monitoring
// Plugins guidelines allow.
func addMetrics(r *plugin.Result, cfg Config, f Facts) {
	var connect, handshake, greeting, total time.Duration
	var hasConnect, hasTLS, hasGreeting bool
	for _, s := range f.Sessions {
		total = max(total, s.Total)
		if s.Err == nil || s.Err.Phase != tlsjudge.PhaseConnect {
			connect, hasConnect = max(connect, s.Connect), true
		}
		if s.Handshaked {
			handshake, hasTLS = max(handshake, s.Handshake), true
		}
		if s.Greeting.Line != "" {
			greeting, hasGreeting = max(greeting, s.GreetingTime), true
		}
	}
	timeMetric := func(label string, d time.Duration, ok bool) {
		r.Metric(plugin.Metric{Label: label, Value: d.Seconds(), UOM: "s", Min: "0", Unmeasured: !ok})
	}
	timeMetric("connect_time", connect, hasConnect)
	timeMetric("tls_time", handshake, hasTLS)
	timeMetric("greeting_time", greeting, hasGreeting)
	timeMetric("total_time", total, len(f.Sessions) > 0)

	tlsSessions := make([]tlsjudge.Session, 0, len(f.Sessions))
	for _, s := range f.Sessions {
		tlsSessions = append(tlsSessions, s.Session)
	}
	r.Metric(tlsjudge.DaysLeftMetric(cfg.judgeConfig(), f.Now, tlsSessions))
}
