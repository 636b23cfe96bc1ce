package imaptls

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/regfile"
)

// Check is the whole plugin: read local inputs (CA file, password, cert
// file; failures there are UNKNOWN, the check could not run), gather over
// the network, evaluate.
func Check(ctx context.Context, cfg Config) plugin.Result {
	if cfg.Warning.isZero() {
		cfg.Warning = DefaultWarning
	}
	if cfg.Critical.isZero() {
		cfg.Critical = DefaultCritical
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return plugin.UnknownResult(fmt.Errorf("--port %d is not a TCP port", cfg.Port), "")
	}
	if cfg.Select != "" && cfg.Login == "" {
		return plugin.UnknownResult(errors.New("--select needs --login"), "")
	}
	roots, err := LoadRoots(cfg.CAFile)
	if err != nil {
		return plugin.UnknownResult(err, "give a readable PEM file with the CA certificate(s)")
	}
	password, err := readPassword(cfg)
	if err != nil {
		return plugin.UnknownResult(err, "")
	}
	var disk *x509.Certificate
	if cfg.CertFile != "" {
		if disk, err = LoadCertFile(cfg.CertFile); err != nil {
			return plugin.UnknownResult(err, "run the check as a user that can read the certificate (e.g. through NRPE as nagios, in the group that owns it)")
		}
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
	return ReadPassword(cfg.Login, cfg.PasswordFile, cfg.Password, PasswordEnv, cfg.getenv)
}

// ReadPassword is the password for --login user: the first line of file,
// else fromOpts (password = in an --extra-opts file), else the environment
// variable env; "" without a login. Never from argv: other users see argv
// in ps.
func ReadPassword(login, file, fromOpts, env string, getenv func(string) string) (string, error) {
	if login == "" {
		return "", nil
	}
	if file != "" {
		b, err := regfile.Read(file, regfile.DefaultMax)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		pw, _, _ := strings.Cut(string(b), "\n")
		pw = strings.TrimSuffix(pw, "\r")
		if pw == "" {
			return "", fmt.Errorf("--password-file %s: the first line is empty", file)
		}
		return pw, nil
	}
	if fromOpts != "" {
		return fromOpts, nil
	}
	if pw := getenv(env); pw != "" {
		return pw, nil
	}
	return "", fmt.Errorf("--login %s needs a password: --password-file FILE or the %s environment variable", login, env)
}
