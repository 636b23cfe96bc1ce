package imaptls

import (
	"context"
	"net/netip"
	"os"

	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
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
	Warning, Critical  tlsjudge.Expiry // zero: tlsjudge.DefaultWarning, DefaultCritical
	MinTLS             tlsjudge.TLSVersion
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

// judgeConfig is the TLS judgement's share of the flags.
func (c Config) judgeConfig() tlsjudge.Config {
	return tlsjudge.Config{Host: c.Host, SNI: c.SNI, CAFile: c.CAFile, Network: c.Network, AllAddresses: c.AllAddresses,
		AllCertificates: c.AllCertificates, Warning: c.Warning, Critical: c.Critical, MinTLS: c.MinTLS}
}

func (c Config) getenv(k string) string {
	if c.Getenv != nil {
		return c.Getenv(k)
	}
	return os.Getenv(k)
}
