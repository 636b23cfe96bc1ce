// Package smtptls is check_smtp_tls: can a client reach SMTP submission
// (STARTTLS on 587 or 25, implicit TLS on 465) with a certificate it
// accepts, and will it keep being able to. The SMTP dialogue is
// internal/smtpdialog; the TLS engine and judgement are check_imaps_tls's
// (internal/tlsjudge), with Postfix's settings and reload (postfix.go).
// Gather (gather.go) → evaluate (evaluate.go), as the other plugins.
package smtptls

import (
	"os"

	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// Config is what the command line asks for, already parsed.
type Config struct {
	Host string
	Port int // 0: 587
	// ImplicitTLS and StartTLS override the port's default (465 implicit
	// TLS, every other port STARTTLS).
	ImplicitTLS, StartTLS bool
	// AllowPlaintextAuth accepts AUTH advertised before STARTTLS.
	AllowPlaintextAuth bool
	Login              string
	PasswordFile       string // "": Password, then SMTP_PASSWORD
	Password           string // from an --extra-opts file (never argv)
	CertFile           string
	// EHLOName is the name sent with EHLO; "" is the local host name.
	EHLOName string
	// TLS is the shared TLS judgement's configuration: SNI, CA file,
	// network, all addresses, all certificates, -w/-c, --min-tls.
	TLS tlsjudge.Config

	// Getenv reads SMTP_PASSWORD; nil means os.Getenv.
	Getenv func(string) string
}

// PasswordEnv is the environment variable --login falls back to.
const PasswordEnv = "SMTP_PASSWORD"

// port is the effective port.
func (c Config) port() int {
	if c.Port != 0 {
		return c.Port
	}
	return 587
}

// implicit says whether TLS starts at connect (SMTPS) rather than after
// STARTTLS.
func (c Config) implicit() bool {
	switch {
	case c.ImplicitTLS:
		return true
	case c.StartTLS:
		return false
	}
	return c.port() == 465
}

func (c Config) getenv(k string) string {
	if c.Getenv != nil {
		return c.Getenv(k)
	}
	return os.Getenv(k)
}

// ehloName is the EHLO argument: a name that needs no quoting.
func (c Config) ehloName() string {
	if c.EHLOName != "" {
		return c.EHLOName
	}
	if h, err := os.Hostname(); err == nil && h != "" && !containsSpace(h) {
		return h
	}
	return "localhost"
}

func containsSpace(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return true
		}
	}
	return false
}
