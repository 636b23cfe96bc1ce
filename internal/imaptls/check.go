package imaptls

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// Check is the whole plugin: read local inputs (CA file, password, cert
// file; failures there are UNKNOWN, the check could not run), gather over
// the network, evaluate.
func Check(ctx context.Context, cfg Config) plugin.Result {
	thresholds := cfg.judgeConfig()
	thresholds.Defaults()
	cfg.Warning, cfg.Critical = thresholds.Warning, thresholds.Critical
	if cfg.Port < 0 || cfg.Port > 65535 {
		return plugin.UnknownResult(fmt.Errorf("--port %d is not a TCP port", cfg.Port), "")
	}
	if cfg.Select != "" && cfg.Login == "" {
		return plugin.UnknownResult(errors.New("--select needs --login"), "")
	}
	roots, disk, bad := tlsjudge.LoadLocal(cfg.CAFile, cfg.CertFile)
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
		if s.LogoutErr != nil {
			r.Debugf("%s: LOGOUT: %v", s.Addr, s.LogoutErr)
		}
		if len(s.Caps) > 0 {
			r.Debugf("%s: capabilities: %s", s.Addr, strings.Join(s.Caps, " "))
		}
		for _, line := range s.Transcript {
			r.Debugf("%s: %s", s.Addr, line)
		}
	}
	return r
}

// readPassword takes the password for --login from --password-file (first
// line) or IMAP_PASSWORD. Never from argv: other users see argv in ps.
func readPassword(cfg Config) (string, error) {
	return tlsjudge.ReadPassword(cfg.Login, cfg.PasswordFile, cfg.Password, PasswordEnv, cfg.getenv)
}
