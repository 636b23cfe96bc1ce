package imaptls

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

func TestFakeSilentAfterAccept(t *testing.T) {
	t.Parallel() // mostly waiting for deadlines
	e := newFakeEnv(t)
	srv := startFake(t, func(c net.Conn) { drain(c) })
	// Implicit TLS: we speak first, so silence is a handshake stall.
	s, took := e.gather(t, e.cfg(srv.port), 400*time.Millisecond, "")
	wantPhase(t, s, tlsjudge.PhaseTLS, tlsjudge.KindTimeout)
	if took > time.Second {
		t.Errorf("the deadline was not honoured: %v", took)
	}
	// STARTTLS: the server speaks first, so silence is a missing greeting.
	cfg := e.cfg(srv.port)
	cfg.StartTLS = true
	s, _ = e.gather(t, cfg, 400*time.Millisecond, "")
	wantPhase(t, s, PhaseGreeting, tlsjudge.KindTimeout)
}

func TestFakeStallMidHandshake(t *testing.T) {
	t.Parallel() // mostly waiting for deadlines
	e := newFakeEnv(t)
	// Reads the ClientHello, answers half a ServerHello, then stalls.
	srv := startFake(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte{0x16, 0x03, 0x03, 0x00, 0x7a, 0x02})
		drain(c)
	})
	s, took := e.gather(t, e.cfg(srv.port), 400*time.Millisecond, "")
	wantPhase(t, s, tlsjudge.PhaseTLS, tlsjudge.KindTimeout)
	if took > time.Second {
		t.Errorf("the deadline was not honoured: %v", took)
	}
}

func TestFakeStallAfterHandshake(t *testing.T) {
	t.Parallel() // mostly waiting for deadlines
	e := newFakeEnv(t)
	srv := startFake(t, tlsHandler(e.cert, 0, func(c net.Conn) { drain(c) }))
	s, _ := e.gather(t, e.cfg(srv.port), 500*time.Millisecond, "")
	wantPhase(t, s, PhaseGreeting, tlsjudge.KindTimeout)
	if !s.Handshaked || s.Cert.TrustErr != nil {
		t.Errorf("the chain should still be known: %+v", s.Cert)
	}
}

func TestFakeEndlessGreeting(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, tlsHandler(e.cert, 0, func(c net.Conn) {
		io.WriteString(c, "* OK ")
		chunk := []byte(strings.Repeat("A", 32<<10))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}))
	s, took := e.gather(t, e.cfg(srv.port), 5*time.Second, "")
	wantPhase(t, s, PhaseGreeting, tlsjudge.KindTooLong)
	if took > 2*time.Second {
		t.Errorf("stopped reading only after %v", took)
	}
}

func TestFakeEndlessUntaggedResponses(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, tlsHandler(e.cert, 0, func(c net.Conn) {
		io.WriteString(c, "* OK hi\r\n")
		bufio.NewReader(c).ReadString('\n')
		for {
			if _, err := io.WriteString(c, "* CAPABILITY IMAP4rev1 "+strings.Repeat("X", 200)+"\r\n"); err != nil {
				return
			}
		}
	}))
	s, _ := e.gather(t, e.cfg(srv.port), 5*time.Second, "")
	wantPhase(t, s, PhaseCapability, tlsjudge.KindTooLong)
}

func TestFakeHugeLiteral(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, tlsHandler(e.cert, 0, func(c net.Conn) {
		io.WriteString(c, "* OK hi\r\n")
		bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "* CAPABILITY {999999999}\r\n")
		drain(c)
	}))
	s, _ := e.gather(t, e.cfg(srv.port), 5*time.Second, "")
	wantPhase(t, s, PhaseCapability, tlsjudge.KindTooLong)
}

func TestFakeReset(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		_, _ = c.Read(buf) // the ClientHello arrived; now RST instead of FIN
		_ = c.(*net.TCPConn).SetLinger(0)
	})
	s, _ := e.gather(t, e.cfg(srv.port), 2*time.Second, "")
	if s.Err == nil || s.Err.Phase != tlsjudge.PhaseTLS || s.Err.Kind != tlsjudge.KindReset {
		t.Fatalf("want a TLS handshake reset, got %+v", s.Err)
	}
}

func TestFakeMinTLS(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, tlsHandler(e.cert, tls.VersionTLS12, imapScript("* OK ready", nil, nil)))
	cfg := e.cfg(srv.port)
	cfg.MinTLS = tlsjudge.TLSVersion(tls.VersionTLS13)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r := Check(ctx, cfg)
	if r.State() != plugin.Critical || !strings.HasPrefix(r.Summary, "TLS handshake: negotiated TLS 1.2, below --min-tls TLS 1.3") {
		t.Fatalf("%v %q", r.State(), r.Summary)
	}
}

func TestFakeLoginQuotingAndLiteral(t *testing.T) {
	e := newFakeEnv(t)
	var mu sync.Mutex
	var got []string
	srv := startFake(t, tlsHandler(e.cert, 0, imapScript("* OK [CAPABILITY IMAP4rev1] ready", &got, &mu)))
	cfg := e.cfg(srv.port)
	cfg.Login, cfg.Select = `mon"itor`, "Sent Items"
	s, _ := e.gather(t, cfg, 3*time.Second, `p\w"d`)
	if s.Err != nil || !s.LoggedIn || !s.Selected || s.Exists != 3 {
		t.Fatalf("%+v", s)
	}
	s2, _ := e.gather(t, cfg, 3*time.Second, "pässwörd\n")
	if s2.Err != nil || !s2.LoggedIn {
		t.Fatalf("%+v", s2.Err)
	}
	// LOGOUT is not waited for: let the server read it (bounded).
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 6 {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{`a1 LOGIN "mon\"itor" "p\\w\"d"`, `a2 SELECT "Sent Items"`, "a3 LOGOUT",
		"a1 LOGIN \"mon\\\"itor\" {11}pässwörd\n"}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("server never got %q; got %q", w, got)
		}
	}
	for _, line := range s.Transcript {
		if strings.Contains(line, `p\w`) {
			t.Errorf("password in the transcript: %q", line)
		}
	}
}

func TestFakeSTARTTLSInjection(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, func(c net.Conn) {
		io.WriteString(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		tag, _, _ := strings.Cut(line, " ")
		io.WriteString(c, tag+" OK Begin TLS\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n")
		drain(c)
	})
	cfg := e.cfg(srv.port)
	cfg.StartTLS = true
	s, _ := e.gather(t, cfg, 3*time.Second, "")
	if s.Err == nil || s.Err.Phase != PhaseStartTLS || s.Err.Err != ErrInjected {
		t.Fatalf("%+v", s.Err)
	}
}

// The command as a whole, through plugin.Run: a hostile greeting must not
// break the first line or the perfdata, and -t bounds a stalled server.
func TestFakeOutputStaysClean(t *testing.T) {
	e := newFakeEnv(t)
	greetings := []string{
		"* BYE go away | 'evil'=1;;;; \x1b[31mred",
		"HTTP/1.1 400 Bad|Request\rinjected=2",
		"* BYE first line\nsecond line | 'injected'=3",
	}
	for _, g := range greetings {
		srv := startFake(t, tlsHandler(e.cert, 0, func(c net.Conn) { io.WriteString(c, g+"\r\n") }))
		var out strings.Builder
		code := plugin.Run(plugin.Info{Name: "check_imaps_tls"}, &testCLI{cfg: e.cfg(srv.port)}, []string{"-t", "3"}, &out)
		text := out.String()
		first, _, _ := strings.Cut(text, "\n")
		if code != 2 || !strings.HasPrefix(first, "CRITICAL: greeting: ") {
			t.Errorf("code %d first line %q", code, first)
		}
		if strings.Count(text, "|") != 1 || strings.ContainsAny(first, "|\r\x1b") {
			t.Errorf("output broken by %q:\n%s", g, text)
		}
		_, perf, _ := strings.Cut(text, "|")
		for _, item := range strings.Fields(perf) {
			if !strings.HasPrefix(item, "'") || strings.Count(item, "'") != 2 {
				t.Errorf("bad perfdata item %q", item)
			}
		}
	}
}

func TestFakeTimeoutIsThePhaseNotTheWatchdog(t *testing.T) {
	t.Parallel() // mostly waiting for deadlines
	e := newFakeEnv(t)
	srv := startFake(t, tlsHandler(e.cert, 0, func(c net.Conn) { drain(c) }))
	var out strings.Builder
	start := time.Now()
	code := plugin.Run(plugin.Info{Name: "check_imaps_tls"}, &testCLI{cfg: e.cfg(srv.port)}, []string{"-t", "3"}, &out)
	// -t 3 rather than 1: plugin.Main's margin between the check's deadline
	// and its watchdog is a tenth of -t, and 100 ms is within scheduling
	// noise on a loaded two-core machine (seen once under `go test ./...`).
	if took := time.Since(start); took > 3100*time.Millisecond {
		t.Errorf("took %v with -t 3", took)
	}
	if code != 2 || !strings.HasPrefix(out.String(), "CRITICAL: greeting: no IMAP greeting: the server went silent") {
		t.Errorf("code %d:\n%s", code, out.String())
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	if a, err := tlsjudge.Resolve(ctx, "127.0.0.1", "ip", nil); err != nil || len(a) != 1 || a[0] != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("%v %v", a, err)
	}
	if _, err := tlsjudge.Resolve(ctx, "::1", "ip4", nil); err == nil {
		t.Error("-4 accepted an IPv6 literal")
	}
	if a, err := tlsjudge.Resolve(ctx, "localhost", "ip4", nil); err != nil || len(a) == 0 || !a[0].Is4() {
		t.Errorf("%v %v", a, err)
	}
	f := Gather(ctx, Config{Host: "no-such-host.invalid"}, nil, "")
	if f.ResolveErr == nil || f.ResolveErr.Phase != tlsjudge.PhaseResolve {
		t.Errorf("%+v", f.ResolveErr)
	}
}

func TestFakeFilteredPort(t *testing.T) {
	t.Parallel() // mostly waiting for deadlines
	e := newFakeEnv(t)
	port := filteredPort(t)
	var out strings.Builder
	start := time.Now()
	code := plugin.Run(plugin.Info{Name: "check_imaps_tls"}, &testCLI{cfg: e.cfg(port)}, []string{"-t", "3"}, &out)
	// -t 3 rather than 1: plugin.Main's margin between the check's deadline
	// and its watchdog is a tenth of -t, and 100 ms is within scheduling
	// noise on a loaded two-core machine (seen once under `go test ./...`).
	if took := time.Since(start); took > 3100*time.Millisecond {
		t.Errorf("took %v with -t 3", took)
	}
	if code != 2 || !strings.Contains(out.String(), "CRITICAL: connect: no answer from 127.0.0.1:"+strconv.Itoa(port)+" within 2.7") ||
		!strings.Contains(out.String(), "the port looks filtered") {
		t.Errorf("code %d:\n%s", code, out.String())
	}
}

// A dual-stack name open on one family only: IPv6 (::1, nothing listens on
// the port there) refuses, IPv4 answers.
func TestFakeAllAddresses(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, tlsHandler(e.cert, 0, imapScript("* OK ready", nil, nil)))
	cfg := e.cfg(srv.port)
	cfg.Host, cfg.SNI = "mail.test", "localhost"
	cfg.lookup = func(ctx context.Context, network, host string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	// As a client: falls back to IPv4 and works, but says what IPv6 users get.
	r := Check(ctx, cfg)
	if r.State() != plugin.Warning || !strings.HasPrefix(r.Summary, "connect: [::1]:"+strconv.Itoa(srv.port)+" refused the connection") ||
		!strings.Contains(r.Summary, "fell back to the next address") {
		t.Errorf("fallback: %v %q", r.State(), r.Summary)
	}
	// --all-addresses: every address is a session of its own.
	cfg.AllAddresses = true
	r = Check(ctx, cfg)
	all := render(r)
	if r.State() != plugin.Critical || !strings.Contains(all, "[OK] 127.0.0.1:"+strconv.Itoa(srv.port)+": TLS handshake") {
		t.Errorf("all addresses: %v %q\n%s", r.State(), r.Summary, all)
	}
}

func TestFakePreauthAndDroppedSelect(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, tlsHandler(e.cert, 0, func(c net.Conn) {
		io.WriteString(c, "* PREAUTH [CAPABILITY IMAP4rev1] logged in already\r\n")
		r := bufio.NewReader(c)
		line, _ := r.ReadString('\n')
		if strings.Contains(line, "SELECT") {
			return // the imap process "crashed" on a corrupt index
		}
	}))
	cfg := e.cfg(srv.port)
	cfg.Login, cfg.Select = "monitor", "INBOX"
	cfg.Getenv = func(string) string { return "pw" }
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r := Check(ctx, cfg)
	all := r.Summary + "\n" + render(r)
	for _, want := range []string{"greeting: * PREAUTH", "LOGIN: not needed, the server pre-authenticated", "SELECT INBOX: the server closed the connection"} {
		if !strings.Contains(all, want) {
			t.Errorf("lacks %q:\n%s", want, all)
		}
	}
	if r.State() != plugin.Critical {
		t.Errorf("state %v", r.State())
	}
}

// LOGOUT is sent and not waited for: a server that never answers it does
// not hold the check, and the result is what was judged before it.
func TestFakeLogoutNotAwaited(t *testing.T) {
	e := newFakeEnv(t)
	gotLogout := make(chan string, 1)
	srv := startFake(t, tlsHandler(e.cert, 0, func(c net.Conn) {
		io.WriteString(c, "* OK [CAPABILITY IMAP4rev1] hi\r\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		gotLogout <- line
		drain(c) // never answers LOGOUT
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	r := Check(ctx, e.cfg(srv.port))
	if took := time.Since(start); took > time.Second {
		t.Errorf("LOGOUT held the check for %v", took)
	}
	if r.State() != plugin.OK {
		t.Errorf("%v %q", r.State(), r.Summary)
	}
	select {
	case line := <-gotLogout:
		if line != "a1 LOGOUT\r\n" {
			t.Errorf("server got %q", line)
		}
	case <-time.After(3 * time.Second):
		t.Error("the server never got LOGOUT")
	}
}

func TestCheckRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Host: "h", Port: 70000}, "--port 70000 is not a TCP port"},
		{Config{Host: "h", Select: "INBOX"}, "--select needs --login"},
		{Config{Host: "h", CAFile: "/nonexistent/ca.pem"}, "--ca-file: open /nonexistent/ca.pem"},
		{Config{Host: "h", Login: "u", Getenv: func(string) string { return "" }}, "--login u needs a password"},
	} {
		r := Check(ctx, c.cfg)
		if r.State() != plugin.Unknown || !strings.HasPrefix(r.Summary, c.want) {
			t.Errorf("%+v: %v %q", c.cfg, r.State(), r.Summary)
		}
	}
}
