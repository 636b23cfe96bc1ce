package remote

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// Every key format the flags promise logs in against the real sshd: OpenSSH
// and PEM, ed25519, ECDSA and RSA, plain and encrypted (passphrase from a
// file and from the environment).
func TestSSHKeyFormatsLogIn(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	passFile := filepath.Join(srv.dir, "pass")
	writeFile(t, passFile, "s3cret\n")
	cases := []struct {
		name, typ, pass string
		pem, viaEnv     bool
	}{
		{name: "ed25519-openssh", typ: "ed25519"},
		{name: "ecdsa-pem", typ: "ecdsa", pem: true},
		{name: "rsa-pem", typ: "rsa", pem: true},
		{name: "rsa-openssh", typ: "rsa"},
		{name: "ed25519-encrypted-file", typ: "ed25519", pass: "s3cret"},
		{name: "ecdsa-encrypted-env", typ: "ecdsa", pass: "s3cret", viaEnv: true},
		{name: "rsa-pem-encrypted-file", typ: "rsa", pass: "s3cret", pem: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := newKey(t, srv.dir, c.name, c.typ, c.pass, c.pem)
			if err := srv.sshd.AddAuthorizedKey("", key+".pub"); err != nil {
				t.Fatal(err)
			}
			cfg := srv.config()
			cfg.KeyFile = key
			t.Setenv(PassphraseEnv, "")
			if c.pass != "" && c.viaEnv {
				t.Setenv(PassphraseEnv, c.pass)
			} else if c.pass != "" {
				cfg.PassphraseFile = passFile
			}
			s := mustDial(t, cfg)
			out, err := s.Run(context.Background(), []string{"id", "-u"})
			if err != nil || strings.TrimSpace(string(out.Stdout)) != "0" || out.ExitCode != 0 {
				t.Fatalf("id -u over SSH: %q exit %d, %v", out.Stdout, out.ExitCode, err)
			}
		})
	}
}

func TestSSHEncryptedKeyWithoutOrWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t, dir, "enc", "ed25519", "right")
	wrong := filepath.Join(dir, "wrong")
	writeFile(t, wrong, "wrong\n")
	for name, setup := range map[string]func(*testing.T, *SSHConfig){
		"none":       func(*testing.T, *SSHConfig) {},
		"wrong-file": func(_ *testing.T, c *SSHConfig) { c.PassphraseFile = wrong },
		"wrong-env":  func(t *testing.T, _ *SSHConfig) { t.Setenv(PassphraseEnv, "nope") },
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(PassphraseEnv, "")
			cfg := SSHConfig{Host: "127.0.0.1", Port: 1, KeyFile: key, KnownHosts: []string{filepath.Join(dir, "kh")}}
			setup(t, &cfg)
			_, err := dial(t, cfg)
			want := "wrong passphrase"
			if name == "none" {
				want = "is encrypted: give its passphrase"
			}
			if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), want) {
				t.Fatalf("want an error naming %s and %q, got %v", key, want, err)
			}
			if r := FailureResult(err); r.State() != plugin.Unknown {
				t.Fatalf("state %v", r.State())
			}
		})
	}
}

// A real ssh-agent started by the test: its key logs in alone (no key file),
// found through --ssh-agent-socket and through SSH_AUTH_SOCK.
func TestSSHAgentLogsIn(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	agent, err := sandbox.StartSSHAgent(srv.dir, srv.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(agent.Stop)
	cfg := srv.config()
	cfg.KeyFile = ""
	cfg.AgentSocket = agent.Socket
	s := mustDial(t, cfg)
	if !strings.Contains(strings.Join(s.Notes(), "\n"), "holds 1 keys") {
		t.Errorf("notes do not mention the agent: %q", s.Notes())
	}
	s.Close()

	cfg.AgentSocket = ""
	ctx := context.Background()
	t.Setenv("SSH_AUTH_SOCK", agent.Socket)
	s2, err := DialSSH(ctx, cfg)
	if err != nil {
		t.Fatalf("via SSH_AUTH_SOCK: %v", err)
	}
	s2.Close()
}

// A key sshd does not accept is its own UNKNOWN, naming the key tried and
// the agent keys, and warning about the sshd jail.
func TestSSHRefusedKeyNamesWhatWasTried(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	stranger := newKey(t, srv.dir, "stranger", "ed25519", "")
	other := newKey(t, srv.dir, "other", "ecdsa", "")
	agent, err := sandbox.StartSSHAgent(srv.dir, other)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(agent.Stop)
	cfg := srv.config()
	cfg.KeyFile = stranger
	cfg.AgentSocket = agent.Socket
	_, err = dial(t, cfg)
	var auth *AuthError
	if !errors.As(err, &auth) {
		t.Fatalf("want an AuthError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"SSH auth as root refused", "tried key SHA256:", "and 1 agent key", "sshd jail"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	r := FailureResult(err)
	if r.State() != plugin.Unknown || !strings.Contains(r.Findings[0].Fix, "authorized_keys") {
		t.Fatalf("result %+v", r)
	}
}

// No key at all is refused before dialling.
func TestSSHNoKeyIsUnknownBeforeDialling(t *testing.T) {
	_, err := dial(t, SSHConfig{Host: "127.0.0.1", Port: 1, KnownHosts: []string{filepath.Join(t.TempDir(), "kh")}})
	if err == nil || !strings.Contains(err.Error(), "no SSH key") {
		t.Fatalf("got %v", err)
	}
}
