package imaptls

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"math"
	"net"
	"net/netip"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// What check_smtp_tls (internal/smtptls) uses of the TLS engine in this
// package: dialing, the handshake's configuration, the certificate
// judgement, the second handshake for the other key type, the perfdata on
// expiry. These are thin exported doors to the unexported code, until the
// engine moves to its own package (issue 19); the SMTP side rewords the
// Dovecot fixes for Postfix.

// Connect dials addr with ctx's deadline on every later read and write; see
// connect.
func Connect(ctx context.Context, addr netip.AddrPort) (net.Conn, func() bool, time.Duration, error) {
	return connect(ctx, addr)
}

// Resolve turns host into addresses of network ("ip", "ip4", "ip6").
func Resolve(ctx context.Context, host, network string) ([]netip.Addr, error) {
	return resolve(ctx, host, network, nil)
}

// ClassifyError tags err with its phase and kind; see phaseError.
func ClassifyError(ctx context.Context, phase Phase, err error, started time.Time) *PhaseError {
	return phaseError(ctx, phase, err, started)
}

// ClientTLSConfig is the main handshake's configuration (verification
// replaced by JudgeConnection, see tlsConfig).
func ClientTLSConfig(sni string) *tls.Config { return tlsConfig(sni) }

// JudgeConnection verifies a completed handshake's chain; see judgeConnection.
func JudgeConnection(cs tls.ConnectionState, roots *x509.CertPool, name string, now time.Time) ChainCheck {
	return judgeConnection(cs, roots, name, now)
}

// KeyTypeOf is a leaf's key type, "" when neither ECDSA nor RSA.
func KeyTypeOf(c *x509.Certificate) KeyType { return keyTypeOf(c) }

// Other is the key type the second handshake asks for.
func (k KeyType) Other() KeyType { return k.other() }

// AltHandshake is the second handshake (altcert.go) on conn, which must be
// ready for TLS (after STARTTLS, or fresh for implicit TLS).
func AltHandshake(ctx context.Context, conn net.Conn, cfg Config, want KeyType, mainVersion uint16, roots *x509.CertPool, now time.Time) AltCert {
	return altHandshake(ctx, conn, cfg, want, mainVersion, roots, now)
}

// JudgeTLS judges what check_imaps_tls judges of a handshake: the
// negotiated version against cfg.MinTLS, every certificate clients may be
// served (trust, what clients refuse, name, the dates of the verified path
// against cfg's thresholds) and --cert-file (disk). s needs only its TLS
// fields (Addr, Handshaked, TLSVersion, CipherSuite, Handshake, Chain, Cert,
// Alt). prefix starts every finding ("127.0.0.1:587: " with several
// addresses). The fixes name Dovecot's settings.
func JudgeTLS(cfg Config, now time.Time, disk *x509.Certificate, s Session, prefix string) plugin.Result {
	var r plugin.Result
	e := sessionEval{cfg: cfg, f: Facts{Now: now, DiskCert: disk}, s: s, r: &r, prefix: prefix}
	e.tlsFacts()
	return r
}

// DaysLeftMetric is the days_left perfdata of check_imaps_tls over these
// sessions' TLS fields; see addMetrics.
func DaysLeftMetric(cfg Config, now time.Time, sessions []Session) plugin.Metric {
	m := plugin.Metric{Label: "days_left", Unmeasured: true}
	if c, ok := decidingCert(cfg, Facts{Now: now, Sessions: sessions}); ok {
		lifetime := c.NotAfter.Sub(c.NotBefore)
		m = plugin.Metric{Label: "days_left", Value: math.Round(c.NotAfter.Sub(now).Hours()/24*100) / 100,
			Warn: cfg.Warning.perfBound(lifetime), Crit: cfg.Critical.perfBound(lifetime)}
	}
	return m
}

// SoonestExpiring is the certificate of s's verified paths with the least
// time left, with its lifetime's name ("90-day") and what is left ("61 days").
func SoonestExpiring(s Session, now time.Time) (lifetime, left string, ok bool) {
	c, ok := soonestExpiring(s, now)
	if !ok {
		return "", "", false
	}
	return lifetimeName(c.NotAfter.Sub(c.NotBefore)), humanLeft(c.NotAfter.Sub(now)), true
}

// RootCause strips Go's wrapping from err for an operator.
func RootCause(err error) string { return rootCause(err) }

// Seconds prints a duration as "0.012s".
func Seconds(d time.Duration) string { return seconds(d) }

// Defaults fills zero thresholds with DefaultWarning and DefaultCritical.
func (c *Config) Defaults() {
	if c.Warning.isZero() {
		c.Warning = DefaultWarning
	}
	if c.Critical.isZero() {
		c.Critical = DefaultCritical
	}
}

// The Dovecot settings the fixes of JudgeTLS name, for a caller that
// rewords them for another server.
const (
	DovecotSettingCert       = settingCert
	DovecotSettingCertAndKey = settingCertAndKey
	DovecotConfCert          = doveconfCert
)
