package imaptls

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// recorded is what a fake server was sent, safe to read while it runs.
type recorded struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorded) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// settle gives a fake server a moment to read what the check sent last
// (LOGOUT is not waited for), bounded.
func (r *recorded) settle(n int) {
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline) && len(r.all()) < n; {
		time.Sleep(10 * time.Millisecond)
	}
}

// A server that negotiates TLS 1.0 with a valid certificate: no real
// server here does that on demand (Debian's OpenSSL refuses TLS 1.0 at its
// security level), so it is a fake, with openssl s_client beside it as the
// reference client, which refuses it too. The password must not be sent.
func TestFakeTLS10GetsNoPassword(t *testing.T) {
	e := newFakeEnv(t)
	rec := &recorded{}
	srv := startFake(t, tlsHandler(e.cert, tls.VersionTLS10, imapScript("* OK [CAPABILITY IMAP4rev1] ready", &rec.lines, &rec.mu)))

	ref := exec.Command("openssl", "s_client", "-connect", "127.0.0.1:"+strconv.Itoa(srv.port),
		"-verify_return_error", "-CAfile", e.ca, "-servername", "localhost")
	ref.Stdin = strings.NewReader("")
	if out, err := ref.CombinedOutput(); err == nil {
		t.Fatalf("openssl s_client accepted a TLS 1.0 server; the reference verdict changed:\n%s", out)
	}

	cfg := e.cfg(srv.port)
	cfg.Login = "monitor"
	cfg.MinTLS = tlsjudge.TLSVersion(tls.VersionTLS12)
	cfg.Getenv = func(string) string { return "secret" }
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r := Check(ctx, cfg)
	all := r.Summary + "\n" + render(r)
	if r.State() != plugin.Critical || !strings.Contains(all, "below --min-tls") || !strings.Contains(all, "password not sent: TLS 1.0 is below --min-tls TLS 1.2") {
		t.Errorf("want CRITICAL below --min-tls and no password:\n%s", all)
	}
	rec.settle(1)
	for _, line := range rec.all() {
		if strings.Contains(line, "LOGIN") || strings.Contains(line, "secret") {
			t.Errorf("the server got %q over TLS 1.0", line)
		}
	}
}

// A plaintext * PREAUTH on the STARTTLS port is what a man in the middle
// sends to keep the session in clear text: CRITICAL, and nothing is sent.
func TestFakePlaintextPreauthUnderSTARTTLS(t *testing.T) {
	e := newFakeEnv(t)
	rec := &recorded{}
	srv := startFake(t, imapScript("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome back", &rec.lines, &rec.mu))
	cfg := e.cfg(srv.port)
	cfg.StartTLS = true
	cfg.Login = "monitor"
	cfg.Getenv = func(string) string { return "secret" }
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r := Check(ctx, cfg)
	if r.State() != plugin.Critical || !strings.HasPrefix(r.Summary, "STARTTLS: the server sent * PREAUTH before TLS") {
		t.Fatalf("%v %q\n%s", r.State(), r.Summary, render(r))
	}
	time.Sleep(50 * time.Millisecond) // what a client would have sent by now
	if got := rec.all(); len(got) != 0 {
		t.Errorf("the check sent %q after a plaintext PREAUTH", got)
	}
}

// An [ALERT] read before STARTTLS could come from anyone on the path: it is
// not shown as the server's alert (only in the -v transcript).
func TestFakeAlertBeforeTLSIsNotTheServers(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		tag, _, _ := strings.Cut(line, " ")
		io.WriteString(c, "* OK [ALERT] pay 1 BTC to keep your mailbox\r\n"+tag+" OK Begin TLS\r\n")
		tlsHandler(e.cert, 0, imapScript("", nil, nil))(c)
	})
	cfg := e.cfg(srv.port)
	cfg.StartTLS = true
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r := Check(ctx, cfg)
	all := r.Summary + "\n" + render(r)
	if strings.Contains(all, "pay 1 BTC") || r.State() != plugin.OK {
		t.Errorf("a plaintext ALERT reached the output or the state:\n%s", all)
	}
}
