package smtptls

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// Check is the whole plugin: read local inputs (CA file, password, cert
// file; failures there are UNKNOWN), gather over the network, evaluate.
func Check(ctx context.Context, cfg Config) plugin.Result {
	cfg.TLS.Host = cfg.Host
	cfg.TLS.Defaults()
	if cfg.Port < 0 || cfg.Port > 65535 {
		return plugin.UnknownResult(fmt.Errorf("--port %d is not a TCP port", cfg.Port), "")
	}
	if cfg.ImplicitTLS && cfg.StartTLS {
		return plugin.UnknownResult(fmt.Errorf("--implicit-tls and --starttls exclude each other"), "give one: --implicit-tls for SMTPS (465), --starttls for submission (587) or MX (25)")
	}
	roots, disk, bad := tlsjudge.LoadLocal(cfg.TLS.CAFile, cfg.CertFile)
	if bad != nil {
		return *bad
	}
	password, err := readPassword(cfg)
	if err != nil {
		return plugin.UnknownResult(err, "")
	}
	f := Gather(ctx, cfg, roots, password)
	f.DiskCert = disk
	r := Evaluate(cfg, f)
	for _, s := range f.Sessions {
		if len(s.Ext.Keywords) > 0 {
			r.Debugf("%s: EHLO over TLS: %s", s.TLS.Addr, strings.Join(keywords(s), " "))
		}
		for _, line := range s.Transcript {
			r.Debugf("%s: %s", s.TLS.Addr, line)
		}
	}
	return r
}

// keywords are the extensions advertised over TLS, sorted.
func keywords(s Session) []string { return slices.Sorted(maps.Keys(s.Ext.Keywords)) }

// readPassword takes the password for --login from --password-file (first
// line), an --extra-opts file, or SMTP_PASSWORD; never from argv.
func readPassword(cfg Config) (string, error) {
	return tlsjudge.ReadPassword(cfg.Login, cfg.PasswordFile, cfg.Password, PasswordEnv, cfg.getenv)
}
