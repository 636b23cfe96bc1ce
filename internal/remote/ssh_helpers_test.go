package remote

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// sshTestServer is a real sshd with one authorized client key and a
// known_hosts file that trusts it.
type sshTestServer struct {
	sshd       *sandbox.SSHD
	dir        string
	clientKey  string // private key path, authorized
	knownHosts string // holds every host key of the server
}

func startSSHServer(t *testing.T, opt sandbox.SSHDOptions) *sshTestServer {
	t.Helper()
	dir := t.TempDir()
	sshd, err := sandbox.StartSSHD(filepath.Join(dir, "sshd"), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sshd.Stop)
	s := &sshTestServer{sshd: sshd, dir: dir, knownHosts: filepath.Join(dir, "known_hosts")}
	s.clientKey = newKey(t, dir, "client", "ed25519", "")
	if err := sshd.AddAuthorizedKey("", s.clientKey+".pub"); err != nil {
		t.Fatal(err)
	}
	if err := sshd.WriteKnownHosts(s.knownHosts); err != nil {
		t.Fatal(err)
	}
	return s
}

func newKey(t *testing.T, dir, name, typ, pass string, pem ...bool) string {
	t.Helper()
	path, err := sandbox.GenerateSSHKey(filepath.Join(dir, name), typ, pass, pem...)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// config logs in as the test user with the authorized key; no agent from
// the environment interferes.
func (s *sshTestServer) config() SSHConfig {
	return SSHConfig{Host: "127.0.0.1", Port: s.sshd.Port, KeyFile: s.clientKey, KnownHosts: []string{s.knownHosts}}
}

func dial(t *testing.T, cfg SSHConfig) (*SSH, error) {
	t.Helper()
	t.Setenv("SSH_AUTH_SOCK", "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	s, err := DialSSH(ctx, cfg)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func mustDial(t *testing.T, cfg SSHConfig) *SSH {
	t.Helper()
	s, err := dial(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
