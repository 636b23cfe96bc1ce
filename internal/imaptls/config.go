package imaptls

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// Config is what the command line asks for, already parsed.
type Config struct {
	Host     string
	Port     int // 0: 993, or 143 with StartTLS
	StartTLS bool
	// AllowPlaintextLogin accepts a server that offers LOGIN before STARTTLS.
	AllowPlaintextLogin bool
	SNI                 string // "": Host, unless Host is an IP address
	CAFile              string // "": the system roots
	Network             string // "ip" (both), "ip4" or "ip6"
	AllAddresses        bool
	// AllCertificates also asks for the certificate of the other key type
	// (ECDSA or RSA) with a second handshake: see altcert.go.
	AllCertificates    bool
	Warning, Critical  Expiry // zero: DefaultWarning, DefaultCritical
	MinTLS             TLSVersion
	ExpectCapabilities []string
	Login              string
	PasswordFile       string // "": Password, then the IMAP_PASSWORD environment variable
	Password           string // from an --extra-opts file (never argv)
	Select             string
	CertFile           string

	// Getenv reads IMAP_PASSWORD; nil means os.Getenv. Tests replace it.
	Getenv func(string) string
	// lookup resolves names; nil means the system resolver. Tests replace
	// it to give a name several addresses without touching /etc/hosts.
	lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// PasswordEnv is the environment variable --login falls back to.
const PasswordEnv = "IMAP_PASSWORD"

// port returns the effective port.
func (c Config) port() int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.StartTLS:
		return 143
	}
	return 993
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

func (c Config) getenv(k string) string {
	if c.Getenv != nil {
		return c.Getenv(k)
	}
	return os.Getenv(k)
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
