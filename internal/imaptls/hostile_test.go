package imaptls

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// hostileCase is a peer no real server plays on demand. Each runs through
// plugin.Run with -t 2, as a monitoring core runs the command.
type hostileCase struct {
	name     string
	starttls bool
	handle   func(e *fakeEnv) func(net.Conn)
	code     int
	first    string // the first line starts with it
}

// drip writes s one byte a second until done or the peer goes away.
func drip(c net.Conn, s string) {
	for i := 0; i < len(s); i++ {
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
		time.Sleep(time.Second)
	}
	drain(c)
}

// reset closes c with an RST instead of a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

var hostileCases = []hostileCase{
	{name: "accept and silence (implicit TLS)", handle: func(*fakeEnv) func(net.Conn) { return drain },
		code: 2, first: "CRITICAL: TLS handshake: 127.0.0.1:PORT accepted the connection but the handshake stalled"},
	{name: "accept and silence (STARTTLS)", starttls: true, handle: func(*fakeEnv) func(net.Conn) { return drain },
		code: 2, first: "CRITICAL: greeting: no IMAP greeting: the server went silent"},
	{name: "slow drip of the greeting, 1 byte/s", handle: func(e *fakeEnv) func(net.Conn) {
		return tlsHandler(e.cert, 0, func(c net.Conn) { drip(c, "* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n") })
	}, code: 2, first: "CRITICAL: greeting: no IMAP greeting: the server was still sending when the deadline passed"},
	{name: "slow drip before TLS (STARTTLS)", starttls: true, handle: func(*fakeEnv) func(net.Conn) {
		return func(c net.Conn) { drip(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n") }
	}, code: 2, first: "CRITICAL: greeting: no IMAP greeting: the server was still sending"},
	{name: "slow drip of the handshake", handle: func(*fakeEnv) func(net.Conn) {
		return func(c net.Conn) {
			_, _ = c.Read(make([]byte, 4096))
			drip(c, "\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03")
		}
	}, code: 2, first: "CRITICAL: TLS handshake: 127.0.0.1:PORT was still sending when the deadline passed"},
	{name: "endless greeting line", handle: func(e *fakeEnv) func(net.Conn) {
		return tlsHandler(e.cert, 0, func(c net.Conn) {
			chunk := []byte("* OK " + strings.Repeat("x", 8<<10))
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		})
	}, code: 2, first: "CRITICAL: greeting: no IMAP greeting: the server sent too much: response line longer than 16384 bytes"},
	{name: "garbage after the greeting", handle: func(e *fakeEnv) func(net.Conn) {
		return tlsHandler(e.cert, 0, func(c net.Conn) {
			io.WriteString(c, "* OK ready\r\n")
			_, _ = bufio.NewReader(c).ReadString('\n')
			c.Write([]byte("\x00\xff\xfe garbage \x1b[2J\r\n\x16\x03\x01\x02\x00\r\nHTTP/1.1 400 Bad Request\r\n"))
		})
	}, code: 2, first: "CRITICAL: CAPABILITY: the server closed the connection"},
	{name: "not IMAP at all", handle: func(e *fakeEnv) func(net.Conn) {
		return tlsHandler(e.cert, 0, func(c net.Conn) { io.WriteString(c, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"); drain(c) })
	}, code: 2, first: `CRITICAL: greeting: not an IMAP greeting: "SSH-2.0-OpenSSH_9.2p1 Debian-2"`},
	{name: "TLS alert instead of a ServerHello", handle: func(*fakeEnv) func(net.Conn) {
		return func(c net.Conn) {
			_, _ = c.Read(make([]byte, 4096))
			c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}) // fatal handshake_failure
		}
	}, code: 2, first: `CRITICAL: TLS handshake with 127.0.0.1:PORT failed: the server sent the TLS alert "handshake failure"`},
	{name: "TLS alert after the handshake", handle: func(e *fakeEnv) func(net.Conn) {
		return tlsHandler(e.cert, 0, func(c net.Conn) { c.Close() }) // close_notify before any greeting
	}, code: 2, first: "CRITICAL: greeting: no IMAP greeting: the server closed the connection"},
	{name: "reset mid-read", handle: func(e *fakeEnv) func(net.Conn) {
		return func(c net.Conn) {
			tc := tlsHandler(e.cert, 0, func(tc net.Conn) { io.WriteString(tc, "* OK hel") })
			tc(c)
			reset(c)
		}
	}, code: 2, first: "CRITICAL: greeting: no IMAP greeting: the connection was reset"},
	{name: "greeting, then stall", handle: func(e *fakeEnv) func(net.Conn) {
		return tlsHandler(e.cert, 0, func(c net.Conn) { io.WriteString(c, "* OK ready\r\n"); drain(c) })
	}, code: 2, first: "CRITICAL: CAPABILITY: the server went silent for"},
}

// TestHostilePeers is the matrix: the expected state within -t plus one
// second, one clean first line, no panic (plugin.Run would re-raise it), and
// neither goroutines nor file descriptors left behind.
func TestHostilePeers(t *testing.T) {
	e := newFakeEnv(t)
	ignore := goleak.IgnoreCurrent()
	fds := sandbox.OpenFDs(t)
	// In parallel: most cases wait for the deadline. The group returns
	// when every case (and its fake's cleanup) is done.
	t.Run("matrix", func(t *testing.T) {
		for _, c := range hostileCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				hostileRun(t, e, c)
			})
		}
	})
	// The fakes are closed by now (subtest cleanups); what the plugin
	// started must be gone too, within a bound.
	var leaked error
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if leaked = goleak.Find(ignore); leaked == nil && sandbox.OpenFDs(t) <= fds {
			return
		}
	}
	if leaked != nil {
		t.Errorf("goroutines left behind: %v", leaked)
	}
	if n := sandbox.OpenFDs(t); n > fds {
		t.Errorf("file descriptors: %d before, %d after", fds, n)
	}
}

func hostileRun(t *testing.T, e *fakeEnv, c hostileCase) {
	srv := startFake(t, c.handle(e))
	cfg := e.cfg(srv.port)
	cfg.StartTLS = c.starttls
	var out strings.Builder
	start := time.Now()
	code := plugin.Run(plugin.Info{Name: "check_imaps_tls"}, &testCLI{cfg: cfg}, []string{"-t", "2"}, &out)
	took := time.Since(start)
	first, _, _ := strings.Cut(out.String(), "\n")
	want := strings.ReplaceAll(c.first, "PORT", strconv.Itoa(srv.port))
	if code != c.code || !strings.HasPrefix(first, want) {
		t.Errorf("exit %d, first line %q\nwant exit %d, %q\n%s", code, first, c.code, want, out.String())
	}
	if took > 3*time.Second {
		t.Errorf("took %v with -t 2", took)
	}
	if strings.ContainsAny(first, "\r\x00\x1b") || strings.Count(out.String(), "|") != 1 {
		t.Errorf("output not clean:\n%q", out.String())
	}
}

// RFC 3501 7.1: [ALERT] text must reach the user, from the greeting or any
// later response.
func TestAlertIsShown(t *testing.T) {
	e := newFakeEnv(t)
	srv := startFake(t, tlsHandler(e.cert, 0, func(c net.Conn) {
		io.WriteString(c, "* OK [ALERT] Maintenance tonight at 22:00 UTC\r\n")
		line, _ := bufio.NewReader(c).ReadString('\n')
		tag, _, _ := strings.Cut(line, " ")
		io.WriteString(c, "* CAPABILITY IMAP4rev1\r\n* OK [ALERT] Mailbox 95% full\r\n"+tag+" OK done\r\n")
		drain(c)
	}))
	var out strings.Builder
	code := plugin.Run(plugin.Info{Name: "check_imaps_tls"}, &testCLI{cfg: e.cfg(srv.port)}, []string{"-t", "3"}, &out)
	first, _, _ := strings.Cut(out.String(), "\n")
	if code != 1 || !strings.HasPrefix(first, `WARNING: server alert, shown to every user: "Maintenance tonight at 22:00 UTC"; server alert, shown to every user: "Mailbox 95% full"`) {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
}
