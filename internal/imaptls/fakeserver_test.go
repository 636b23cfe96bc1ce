package imaptls

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// fakeServer is an in-process server for what no real server does on
// demand: stall, talk forever, reset. handle gets each accepted connection.
type fakeServer struct {
	ln   net.Listener
	port int
	wg   sync.WaitGroup
}

func startFake(t *testing.T, handle func(net.Conn)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{ln: ln, port: ln.Addr().(*net.TCPAddr).Port}
	var mu sync.Mutex
	var conns []net.Conn
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		f.wg.Wait()
	})
	return f
}

// drain blocks until the peer (or the test's cleanup) closes the
// connection: a stalled server, without sleeping past the test.
func drain(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// tlsHandler wraps a plain-text IMAP handler in implicit TLS.
func tlsHandler(cert tls.Certificate, maxVersion uint16, handle func(net.Conn)) func(net.Conn) {
	return func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: maxVersion, MinVersion: tls.VersionTLS10})
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		handle(tc)
	}
}

// imapScript greets, then answers every command OK (LOGOUT with BYE),
// recording what it was sent.
func imapScript(greeting string, got *[]string, mu *sync.Mutex) func(net.Conn) {
	return func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, greeting+"\r\n")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			// A synchronising literal: ask for it, then read it whole.
			if n, ok := literalSize(line); ok {
				io.WriteString(c, "+ go ahead\r\n")
				buf := make([]byte, n)
				if _, err := io.ReadFull(r, buf); err != nil {
					return
				}
				rest, _ := r.ReadString('\n')
				line += string(buf) + strings.TrimRight(rest, "\r\n")
			}
			if mu != nil {
				mu.Lock()
				*got = append(*got, line)
				mu.Unlock()
			}
			tag, cmd, _ := strings.Cut(line, " ")
			cmd, _, _ = strings.Cut(cmd, " ")
			switch strings.ToUpper(cmd) {
			case "LOGOUT":
				io.WriteString(c, "* BYE bye\r\n"+tag+" OK done\r\n")
				return
			case "CAPABILITY":
				io.WriteString(c, "* CAPABILITY IMAP4rev1 IDLE\r\n"+tag+" OK done\r\n")
			case "SELECT":
				io.WriteString(c, "* 3 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n"+tag+" OK [READ-WRITE] done\r\n")
			default:
				io.WriteString(c, tag+" OK done\r\n")
			}
		}
	}
}

type fakeEnv struct {
	pki  *testPKI
	cert tls.Certificate
	ca   string
}

func newFakeEnv(t *testing.T) *fakeEnv {
	pki := newTestPKI(t)
	return &fakeEnv{pki: pki, cert: pki.leaf(t, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)), ca: pki.caFile(t)}
}

func (e *fakeEnv) cfg(port int) Config {
	c := Config{Host: "127.0.0.1", Port: port, CAFile: e.ca}
	c.Warning, _ = tlsjudge.ParseExpiry("30")
	c.Critical, _ = tlsjudge.ParseExpiry("14")
	return c
}

// gather runs the gather stage alone with a deadline, as plugin.Main would.
func (e *fakeEnv) gather(t *testing.T, cfg Config, timeout time.Duration, password string) (Session, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	f := Gather(ctx, cfg, e.pki.pool(), password)
	if len(f.Sessions) != 1 {
		t.Fatalf("sessions: %+v (resolve %v)", f.Sessions, f.ResolveErr)
	}
	return f.Sessions[0], time.Since(start)
}

func wantPhase(t *testing.T, s Session, phase tlsjudge.Phase, kind tlsjudge.Kind) {
	t.Helper()
	if s.Err == nil || s.Err.Phase != phase || s.Err.Kind != kind {
		t.Fatalf("want %s failure of kind %d, got %+v", phase, kind, s.Err)
	}
}

// testCLI runs Check with a prepared Config through plugin.Run.
type testCLI struct {
	plugin.CommonFlags `embed:""`
	cfg                Config
}

func (c *testCLI) Check(ctx context.Context) plugin.Result { return Check(ctx, c.cfg) }

// filteredPort is a port whose SYNs go unanswered, as behind a DROP rule:
// a listener with a backlog of 0 whose one slot is taken, so the kernel
// drops every further SYN (loopback only; no firewall needed).
func filteredPort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return port
}
