package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// Words that would do something in a shell reach the remote command as
// plain bytes; line breaks and NUL are refused before anything is sent.
func TestSSHRunPassesShellSyntaxInertly(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	s := mustDial(t, srv.config())
	canary := filepath.Join(srv.dir, "pwned")
	evil := []string{
		"public; touch " + canary,
		"$(touch " + canary + ")",
		"`touch " + canary + "`",
		`it's "quoted" \ back`,
		"a && touch " + canary + " || b",
		"*", "~", "FOO=bar", "", "-n", "$SSH_CLIENT", "'", `'\''`,
	}
	out, err := s.Run(context.Background(), append([]string{"printf", `%s\0`}, evil...))
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("%v exit %d stderr %q", err, out.ExitCode, out.Stderr)
	}
	got := strings.Split(strings.TrimSuffix(string(out.Stdout), "\x00"), "\x00")
	if strings.Join(got, "\n") != strings.Join(evil, "\n") {
		t.Fatalf("words changed on the way:\n got %q\nwant %q", got, evil)
	}
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("a word was executed by the remote shell")
	}
	for _, bad := range []string{"zone\ntouch " + canary, "a\rb", "nul\x00"} {
		if _, err := s.Run(context.Background(), []string{"printf", "%s", bad}); err == nil || !strings.Contains(err.Error(), "line break") {
			t.Errorf("%q: want a refusal, got %v", bad, err)
		}
	}
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("a line break ended the quoted word")
	}
}

// Exit codes above 3, signals and stderr come back as facts, never as an
// error that a caller might turn into a state by accident.
func TestSSHRunExitStatus(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{Extra: "Banner " + writeBanner(t) + "\n"})
	s := mustDial(t, srv.config())
	ctx := context.Background()
	out, err := s.Run(ctx, []string{"sh", "-c", "echo noise >&2; echo out; exit 7"})
	if err != nil || out.ExitCode != 7 || string(out.Stdout) != "out\n" || string(out.Stderr) != "noise\n" {
		t.Fatalf("exit 7: %+v %v", out, err)
	}
	out, err = s.Run(ctx, []string{"sh", "-c", "kill -9 $$"})
	if err != nil || out.ExitCode != -1 {
		t.Fatalf("killed: %+v %v", out, err)
	}
	if !strings.Contains(strings.Join(s.Notes(), "\n"), "login banner: authorized use only") {
		t.Errorf("banner not noted: %q", s.Notes())
	}
}

func writeBanner(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "banner")
	writeFile(t, p, "authorized use only\n")
	return p
}

// A remote command that hangs: Run returns at the deadline, within -t plus
// one second, and the remote process is gone soon after (the connection is
// closed and `timeout` ends it even though sshd would not).
func TestSSHHangingCommandIsBoundedAndLeavesNothing(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	t.Setenv("SSH_AUTH_SOCK", "")
	s, err := DialSSH(ctx, srv.config())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	_, err = s.Run(ctx, []string{"sleep", "317.25"})
	if took := time.Since(start); took > 3*time.Second || err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("after %v: %v", took, err)
	}
	if err := sandbox.WaitNoProcessWithArg("317.25", 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// A server that accepts TCP but never speaks SSH: the handshake fails in its
// own words at the deadline.
func TestSSHStalledHandshake(t *testing.T) {
	l := serve(t, "tcp", "127.0.0.1:0", func(c net.Conn) { <-t.Context().Done(); c.Close() })
	kh := filepath.Join(t.TempDir(), "kh")
	key := newKey(t, t.TempDir(), "k", "ed25519", "")
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := DialSSH(ctx, SSHConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, KeyFile: key, KnownHosts: []string{kh}})
	if err == nil || !strings.Contains(err.Error(), "SSH handshake with 127.0.0.1:") || !strings.Contains(err.Error(), "stalled") || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
	// Nothing listening: the connect phase says so.
	l.Close()
	_, err = DialSSH(context.Background(), SSHConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, KeyFile: key, KnownHosts: []string{kh}})
	if err == nil || !strings.Contains(err.Error(), "SSH connect to 127.0.0.1:") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("refused: %v", err)
	}
}

// serve accepts on a new listener until the test ends, handing each
// connection to handle in its own goroutine.
func serve(t *testing.T, network, addr string, handle func(net.Conn)) net.Listener {
	t.Helper()
	l, err := sandbox.Serve(network, addr, handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Stream-local: a unix socket on the mail host answers through the SSH
// connection; when sshd refuses, the error is ErrStreamLocalRefused.
func TestSSHDialUnix(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "echo.sock")
	serve(t, "unix", sock, func(c net.Conn) { io.Copy(c, c); c.Close() })
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	s := mustDial(t, srv.config())
	c, err := s.DialUnix(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("%q %v", buf, err)
	}
	// A deadline works on the channel as on a socket.
	_ = c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Read(buf); !isTimeout(err) {
		t.Fatalf("want a timeout, got %v", err)
	}
	c.Close()
	if _, err := s.DialUnix(context.Background(), sock+".missing"); !errors.Is(err, ErrStreamLocalRefused) {
		t.Fatalf("missing socket: %v", err)
	}

	refusing := startSSHServer(t, sandbox.SSHDOptions{NoStreamLocal: true})
	s2 := mustDial(t, refusing.config())
	if _, err := s2.DialUnix(context.Background(), sock); !errors.Is(err, ErrStreamLocalRefused) {
		t.Fatalf("want ErrStreamLocalRefused, got %v", err)
	}
}

func TestSSHClientAddressAndWhere(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	s := mustDial(t, srv.config())
	addr, err := s.ClientAddress(context.Background())
	if err != nil || addr.String() != "127.0.0.1" {
		t.Fatalf("%v %v", addr, err)
	}
	if want := "via SSH root@127.0.0.1:" + itoa(srv.sshd.Port); s.Where() != want || !s.Remote() {
		t.Fatalf("Where %q, want %q", s.Where(), want)
	}
}

// What the mail host's shell prints before a command (a .bashrc greeting on
// stdout and stderr) is not the command's output; a forced command in
// authorized_keys, which runs instead of what was sent, is an error saying
// so rather than output to parse.
func TestSSHShellGreetingAndForcedCommand(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{Bashrc: "printf 'Welcome to mail (no newline)'\necho 'mesg: ttyname failed' >&2\n"})
	s := mustDial(t, srv.config())
	out, err := s.Run(context.Background(), []string{"sh", "-c", "echo out; echo err >&2"})
	if err != nil || string(out.Stdout) != "out\n" || string(out.Stderr) != "err\n" {
		t.Fatalf("%q %q %v", out.Stdout, out.Stderr, err)
	}
	forced := newKey(t, srv.dir, "forced", "ed25519", "")
	must(t, srv.sshd.AddAuthorizedKey(`restrict,command="echo forced"`, forced+".pub"))
	cfg := srv.config()
	cfg.KeyFile = forced
	s2 := mustDial(t, cfg)
	if _, err := s2.Run(context.Background(), []string{"id", "-u"}); err == nil || !strings.Contains(err.Error(), "did not run the command") {
		t.Fatalf("forced command: %v", err)
	}
}
