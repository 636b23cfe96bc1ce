package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func hostKeyError(t *testing.T, err error, want HostKeyProblem) *HostKeyError {
	t.Helper()
	var hk *HostKeyError
	if !errors.As(err, &hk) || hk.Problem != want {
		t.Fatalf("want host key problem %d, got %v", want, err)
	}
	return hk
}

// Unknown host: UNKNOWN with the key type, its fingerprint and the exact
// ssh-keyscan line; a missing known_hosts file is the same case.
func TestSSHUnknownHost(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{HostKeyTypes: []string{"ed25519", "ecdsa"}})
	for name, content := range map[string]*string{"empty": ptr("# nothing yet\n"), "missing": nil, "other-host": ptr("mail.example.org " + mustLine(t, srv, "ed25519") + "\n")} {
		t.Run(name, func(t *testing.T) {
			kh := filepath.Join(t.TempDir(), "known_hosts")
			if content != nil {
				writeFile(t, kh, *content)
			}
			cfg := srv.config()
			cfg.KnownHosts = []string{kh}
			_, err := dial(t, cfg)
			hk := hostKeyError(t, err, HostUnknown)
			fp := fingerprint(t, srv.sshd.HostKeys[keyFileType(hk.KeyType)]+".pub")
			r := FailureResult(err)
			text := r.Findings[0].Text + " Fix: " + r.Findings[0].Fix
			wantFix := fmt.Sprintf("ssh-keyscan -p %d 127.0.0.1 >> %s", srv.sshd.Port, kh)
			for _, want := range []string{hk.KeyType, fp, wantFix, "is unknown"} {
				if !strings.Contains(text, want) {
					t.Errorf("%q lacks %q", text, want)
				}
			}
			if r.State() != plugin.Unknown {
				t.Errorf("state %v", r.State())
			}
		})
	}
}

// Changed key: CRITICAL "host key changed: possible man in the middle",
// naming the file and line that disagree.
func TestSSHChangedHostKey(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	impostor := newKey(t, t.TempDir(), "impostor", "ed25519", "")
	pub, _ := os.ReadFile(impostor + ".pub")
	f := strings.Fields(string(pub))
	writeFile(t, srv.knownHosts, fmt.Sprintf("# line 1\nother.example.org %s %s\n[127.0.0.1]:%d %s %s\n", f[0], f[1], srv.sshd.Port, f[0], f[1]))
	_, err := dial(t, srv.config())
	hostKeyError(t, err, HostKeyChanged)
	r := FailureResult(err)
	if r.State() != plugin.Critical {
		t.Fatalf("state %v", r.State())
	}
	for _, want := range []string{"host key changed: possible man in the middle", srv.knownHosts + ":3", fingerprint(t, srv.sshd.HostKeys["ed25519"]+".pub")} {
		if !strings.Contains(r.Summary, want) {
			t.Errorf("%q lacks %q", r.Summary, want)
		}
	}
}

// @revoked: its own CRITICAL, even though another line trusts the key.
func TestSSHRevokedHostKey(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	good := mustLine(t, srv, "ed25519")
	writeFile(t, srv.knownHosts, fmt.Sprintf("[127.0.0.1]:%d %s\n@revoked * %s\n", srv.sshd.Port, good, good))
	_, err := dial(t, srv.config())
	hostKeyError(t, err, HostKeyRevoked)
	if r := FailureResult(err); r.State() != plugin.Critical || !strings.Contains(r.Summary, srv.knownHosts+":2") {
		t.Fatalf("result %v %q", r.State(), r.Summary)
	}
}

// The server has RSA, ECDSA and ed25519 host keys; known_hosts holds only
// one of them. Offering only that type is what makes each of these log in:
// x/crypto would otherwise pick its own favourite and call it a mismatch.
func TestSSHOneKnownTypeAgainstThreeHostKeys(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{HostKeyTypes: []string{"rsa", "ecdsa", "ed25519"}})
	for _, typ := range []string{"ed25519", "ecdsa", "rsa"} {
		t.Run(typ+"-only", func(t *testing.T) {
			if err := srv.sshd.WriteKnownHosts(srv.knownHosts, typ); err != nil {
				t.Fatal(err)
			}
			s := mustDial(t, srv.config())
			notes := strings.Join(s.Notes(), "\n")
			if !strings.Contains(notes, "verified") || !strings.Contains(notes, fingerprint(t, srv.sshd.HostKeys[typ]+".pub")) {
				t.Fatalf("notes %q", notes)
			}
		})
	}
}

// A hashed entry (ssh-keygen -H, HashKnownHosts yes) is found too.
func TestSSHHashedKnownHosts(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	if _, err := sandbox.Run(context.Background(), nil, "ssh-keygen", "-H", "-f", srv.knownHosts); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(srv.knownHosts)
	if !strings.HasPrefix(string(b), "|1|") {
		t.Fatalf("not hashed: %q", b)
	}
	mustDial(t, srv.config())
}

// @cert-authority: the server presents a host certificate signed by a CA
// that known_hosts trusts for the host; no plain host key line is needed.
func TestSSHCertAuthority(t *testing.T) {
	dir := t.TempDir()
	ca := newKey(t, dir, "ca", "ed25519", "")
	srv := startSSHServer(t, sandbox.SSHDOptions{PreStart: func(hostKeys map[string]string) (string, error) {
		_, err := sandbox.Run(context.Background(), nil, "ssh-keygen", "-q", "-s", ca, "-I", "mail", "-h", "-n", "127.0.0.1", hostKeys["ed25519"]+".pub")
		return "HostCertificate " + hostKeys["ed25519"] + "-cert.pub\n", err
	}})
	caPub, _ := os.ReadFile(ca + ".pub")
	writeFile(t, srv.knownHosts, fmt.Sprintf("@cert-authority [127.0.0.1]:%d %s\n", srv.sshd.Port, strings.TrimSpace(string(caPub))))
	s := mustDial(t, srv.config())
	if !strings.Contains(strings.Join(s.Notes(), "\n"), "cert-v01") {
		t.Fatalf("no certificate offered/verified: %q", s.Notes())
	}
	// Another CA for the host: the certificate is not vouched for.
	other := newKey(t, dir, "otherca", "ed25519", "")
	otherPub, _ := os.ReadFile(other + ".pub")
	writeFile(t, srv.knownHosts, fmt.Sprintf("@cert-authority [127.0.0.1]:%d %s\n", srv.sshd.Port, strings.TrimSpace(string(otherPub))))
	_, err := dial(t, srv.config())
	hostKeyError(t, err, HostKeyChanged)
}

func ptr(s string) *string { return &s }

// mustLine is the server's "type base64" public key of a type.
func mustLine(t *testing.T, srv *sshTestServer, typ string) string {
	t.Helper()
	l, err := srv.sshd.KnownHostsLine(typ)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitN(l, " ", 2)[1]
}

func fingerprint(t *testing.T, pubPath string) string {
	t.Helper()
	out, err := sandbox.Run(context.Background(), nil, "ssh-keygen", "-l", "-E", "sha256", "-f", pubPath)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(out)[1]
}
