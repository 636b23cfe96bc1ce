package tlsjudge

import (
	"crypto/x509"
	"math"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// DaysLeftMetric is the days_left perfdata: the time left on the
// certificate that decides the state, in days without a unit (Icinga 2
// reads "d" as a time unit and turns it into seconds), with the thresholds
// it was judged by as plain numbers of days; "U" when no certificate was
// seen.
func DaysLeftMetric(cfg Config, now time.Time, sessions []Session) plugin.Metric {
	c, ok := decidingCert(cfg, now, sessions)
	if !ok {
		return plugin.Metric{Label: "days_left", Unmeasured: true}
	}
	lifetime := c.NotAfter.Sub(c.NotBefore)
	return plugin.Metric{Label: "days_left", Value: math.Round(c.NotAfter.Sub(now).Hours()/24*100) / 100,
		Warn: cfg.Warning.perfBound(lifetime), Crit: cfg.Critical.perfBound(lifetime)}
}

// decidingCert is the certificate of a verified path (any session, any key
// type) that is closest to alerting: the worst state first, then the least
// time left.
func decidingCert(cfg Config, now time.Time, sessions []Session) (*x509.Certificate, bool) {
	var best *x509.Certificate
	bestRank, bestLeft := -1, time.Duration(math.MaxInt64)
	for _, s := range sessions {
		for _, sc := range servedCerts(s) {
			for _, c := range judgedPath(sc.chain, sc.cc) {
				left, lifetime := c.NotAfter.Sub(now), c.NotAfter.Sub(c.NotBefore)
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

// SoonestExpiring names, for the summary, the certificate of s's verified
// paths with the least time left: its lifetime ("90-day") and what is left
// ("61 days").
func SoonestExpiring(s Session, now time.Time) (lifetime, left string, ok bool) {
	var best *x509.Certificate
	for _, sc := range servedCerts(s) {
		for _, c := range judgedPath(sc.chain, sc.cc) {
			if best == nil || c.NotAfter.Before(best.NotAfter) {
				best = c
			}
		}
	}
	if best == nil {
		return "", "", false
	}
	return lifetimeName(best.NotAfter.Sub(best.NotBefore)), humanLeft(best.NotAfter.Sub(now)), true
}
