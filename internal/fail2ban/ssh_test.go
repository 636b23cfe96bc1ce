package fail2ban

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// A mail host whose shell greets on stdout before every command: the
// greeting is not taken for the host's name (ignoreself's own addresses).
func TestRemoteHostnameIgnoresShellGreeting(t *testing.T) {
	s, err := sandbox.StartSSHDWithClient(t.TempDir(), sandbox.SSHDOptions{Bashrc: "echo 'Welcome to mail.example.org'\n"})
	if err != nil {
		t.Fatalf("cannot start the real sshd (never skipped): %v", err)
	}
	t.Cleanup(s.Stop)
	t.Setenv("SSH_AUTH_SOCK", "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, _ := remote.SSHFlags{SSHHost: "127.0.0.1", SSHPort: s.Port, SSHKey: s.Key, SSHKnownHosts: []string{s.KnownHosts}}.Config()
	host, err := remote.DialSSH(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	want, _ := os.Hostname()
	if got := hostname(ctx, host); got != want {
		t.Fatalf("hostname over SSH %q, want %q", got, want)
	}
}
