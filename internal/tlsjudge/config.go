package tlsjudge

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Config is what the command line asks of the TLS judgement, already
// parsed: the same flags on both plugins.
type Config struct {
	Host    string
	SNI     string // "": Host, unless Host is an IP address
	CAFile  string // "": the system roots
	Network string // "ip" (both), "ip4" or "ip6"
	// AllAddresses probes every address of Host, not only the first that
	// connects.
	AllAddresses bool
	// AllCertificates also asks for the certificate of the other key type
	// (ECDSA or RSA) with a second handshake: see altcert.go.
	AllCertificates   bool
	Warning, Critical Expiry // zero: DefaultWarning, DefaultCritical
	MinTLS            TLSVersion
}

// ServerName is the name the certificate must carry and the SNI we send:
// --sni, else the host when it is a name. For an IP address no SNI is sent
// (RFC 6066 forbids it) and the certificate must carry the IP.
func (c Config) ServerName() (sni, verify string) {
	if c.SNI != "" {
		return c.SNI, c.SNI
	}
	if _, err := netip.ParseAddr(c.Host); err == nil {
		return "", c.Host
	}
	return c.Host, c.Host
}

// Defaults fills zero thresholds with DefaultWarning and DefaultCritical.
func (c *Config) Defaults() {
	if c.Warning.isZero() {
		c.Warning = DefaultWarning
	}
	if c.Critical.isZero() {
		c.Critical = DefaultCritical
	}
}

// minTLS is --min-tls, TLS 1.2 when not given.
func (c Config) minTLS() uint16 {
	if c.MinTLS == 0 {
		return tls.VersionTLS12
	}
	return uint16(c.MinTLS)
}

// TLSVersion is a minimum TLS protocol version, written "1.2".
type TLSVersion uint16

var tlsVersions = map[string]uint16{
	"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13,
}

// UnmarshalText lets kong decode the flag; "TLSv1.2" and "tls1.2" work too.
func (v *TLSVersion) UnmarshalText(b []byte) error {
	s := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(string(b)), "tlsv"), "tls")
	n, ok := tlsVersions[s]
	if !ok {
		return fmt.Errorf("%q is not a TLS version (want 1.0, 1.1, 1.2 or 1.3)", string(b))
	}
	*v = TLSVersion(n)
	return nil
}

// String prints "TLS 1.2".
func (v TLSVersion) String() string { return tls.VersionName(uint16(v)) }

// Session is what one connection to one address showed of TCP and TLS;
// the protocol packages keep it beside their dialogue's facts.
type Session struct {
	Addr netip.AddrPort
	// Err is the phase that failed; nil when the whole dialogue worked.
	Err *PhaseError

	Connect, Handshake, GreetingTime, Total time.Duration

	// TLS, filled once the handshake completed.
	Handshaked  bool
	TLSVersion  uint16
	CipherSuite uint16
	Chain       []*x509.Certificate // as served, leaf first
	Cert        ChainCheck
	// Alt is the certificate served to clients preferring the other key
	// type (altcert.go); nil without AllCertificates or a handshake.
	Alt *AltCert
}
