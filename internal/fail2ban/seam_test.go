package fail2ban

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// remoteHost stands in for a remote.Host over SSH: it reaches the socket
// served by a test peer under the mail host's path, and answers the two
// commands Gather runs on a remote host (uname -n, getent ahosts) as a mail
// host named mail.example.org would. It records what was asked, to show
// that Gather reads the host through the seam only.
type remoteHost struct {
	remote.Local
	socket string // where the mail host's socket really is in the test
	mu     sync.Mutex
	dials  []string
	runs   [][]string
}

func (h *remoteHost) Remote() bool  { return true }
func (h *remoteHost) Where() string { return "via SSH test@mail.example.org:22" }

func (h *remoteHost) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	h.mu.Lock()
	h.dials = append(h.dials, path)
	h.mu.Unlock()
	if path != "/var/run/fail2ban/fail2ban.sock" {
		return nil, &net.OpError{Op: "dial", Net: "unix", Err: errors.New("ssh: rejected: connect failed (open failed)")}
	}
	return h.Local.DialUnix(ctx, h.socket)
}

func (h *remoteHost) Run(ctx context.Context, argv []string) (remote.Output, error) {
	h.mu.Lock()
	h.runs = append(h.runs, argv)
	h.mu.Unlock()
	switch strings.Join(argv, " ") {
	case "uname -n":
		return remote.Output{Stdout: []byte("mail.example.org\n")}, nil
	case "getent ahosts localhost":
		return remote.Output{Stdout: []byte("::1 STREAM localhost\n::1 DGRAM\n127.0.0.1 STREAM\n")}, nil
	case "getent ahosts mail.example.org":
		return remote.Output{Stdout: []byte("192.0.2.25 STREAM mail.example.org\n::ffff:192.0.2.26 STREAM\n")}, nil
	}
	return remote.Output{ExitCode: 2}, nil // getent: not found
}

func TestGatherReadsOnlyThroughTheHost(t *testing.T) {
	path := capturedServer(t)
	h := &remoteHost{socket: path}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f, err := Gather(ctx, h, Options{Socket: "/var/run/fail2ban/fail2ban.sock", IPs: []string{"192.0.2.25"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Via != "via SSH test@mail.example.org:22" || len(f.Jails) != 3 {
		t.Fatalf("facts %+v", f)
	}
	// ignoreself is about the mail host: its own name, resolved there
	wantSelf := []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1"),
		netip.MustParseAddr("192.0.2.25"), netip.MustParseAddr("192.0.2.26")}
	if !slices.Equal(f.SelfIPs, wantSelf) {
		t.Errorf("self IPs %v, want %v", f.SelfIPs, wantSelf)
	}
	if r := f.Resolved["no-such-host.invalid"]; r.Err == nil {
		t.Errorf("unresolvable name resolved remotely: %+v", r)
	}
	if len(h.dials) != 1 { // one connection: status, then every jail question pipelined
		t.Errorf("dials %v", h.dials)
	}
	r := Evaluate(f, Config{})
	if !strings.Contains(r.Summary, "192.0.2.25") {
		t.Errorf("%q", r.Summary)
	}
}

// A socket that cannot be reached is told apart from every other failure
// (errors.Is ErrSocketDial), so the SSH mode can fall back to
// fail2ban-client when sshd refuses stream-local forwarding.
func TestSocketDialSentinel(t *testing.T) {
	h := &remoteHost{socket: "/nonexistent"}
	_, err := Gather(context.Background(), h, Options{Socket: "/run/other.sock", IPs: []string{"192.0.2.25"}})
	if !errors.Is(err, ErrSocketDial) || !strings.Contains(err.Error(), "/run/other.sock") {
		t.Fatalf("%v", err)
	}
	// a peer that answered garbage is not a dial failure
	path := fakeServer(t, func(c net.Conn) { c.Write([]byte("garbage" + terminator)) })
	_, err = Gather(context.Background(), remote.Local{}, Options{Socket: path, IPs: []string{"192.0.2.25"}})
	if err == nil || errors.Is(err, ErrSocketDial) {
		t.Fatalf("%v", err)
	}
}

func TestParseGetentAhosts(t *testing.T) {
	got := parseGetentAhosts([]byte("2001:db8::1      STREAM host\n2001:db8::1 DGRAM\n\n203.0.113.7 RAW\n"))
	if want := []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("203.0.113.7")}; !slices.Equal(got, want) {
		t.Fatal(got)
	}
	if _, err := (hostResolver{&remoteHost{}}).LookupNetIP(context.Background(), "ip", "-oProxyCommand=x"); err == nil {
		t.Fatal("option-looking name passed to getent")
	}
}
