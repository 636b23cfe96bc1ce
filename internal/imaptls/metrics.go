package imaptls

import (
	"crypto/x509"
	"math"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
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
		if s.Err == nil || s.Err.Phase != PhaseConnect {
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

	r.Metric(DaysLeftMetric(cfg, f.Now, f.Sessions))
}

// decidingCert is the certificate of a verified path (any session, any key
// type) that is closest to alerting: the worst state first, then the least
// time left.
func decidingCert(cfg Config, f Facts) (*x509.Certificate, bool) {
	var best *x509.Certificate
	bestRank, bestLeft := -1, time.Duration(math.MaxInt64)
	for _, s := range f.Sessions {
		for _, sc := range servedCerts(s) {
			for _, c := range judgedPath(sc.chain, sc.cc) {
				left, lifetime := c.NotAfter.Sub(f.Now), c.NotAfter.Sub(c.NotBefore)
				rank := 0
				switch {
				case left < 0 || cfg.Critical.Alert(left, lifetime):
					rank = 2
				case cfg.Warning.Alert(left, lifetime):
					rank = 1
				}
				if rank > bestRank || (rank == bestRank && left < bestLeft) {
					best, bestRank, bestLeft = c, rank, left
				}
			}
		}
	}
	return best, best != nil
}

// soonestExpiring is the certificate of s's verified paths with the least
// time left, for the summary.
func soonestExpiring(s Session, now time.Time) (*x509.Certificate, bool) {
	var best *x509.Certificate
	for _, sc := range servedCerts(s) {
		for _, c := range judgedPath(sc.chain, sc.cc) {
			if best == nil || c.NotAfter.Before(best.NotAfter) {
				best = c
			}
		}
	}
	return best, best != nil
}
