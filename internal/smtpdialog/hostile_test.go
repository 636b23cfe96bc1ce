package smtpdialog

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// Fakes are for what no real server does on demand: stall, garbage,
// endless replies, bytes injected around STARTTLS. Every case runs under a
// one-second deadline and must end within two.

const hostileDeadline = time.Second

// peer is a scripted fake server: it answers each command line it reads
// with what the script returns for it ("" ends the dialogue).
type peer struct {
	mu       sync.Mutex
	received []string
}

func (p *peer) got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.received...)
}

// serve greets, then answers every line with answer(line).
func (p *peer) serve(greeting string, answer func(line string, c net.Conn) string) func(net.Conn) {
	return func(c net.Conn) {
		if greeting != "" {
			if _, err := io.WriteString(c, greeting); err != nil {
				return
			}
		}
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			p.mu.Lock()
			p.received = append(p.received, strings.TrimRight(line, "\r\n"))
			p.mu.Unlock()
			out := answer(strings.TrimRight(line, "\r\n"), c)
			if out == "" {
				return
			}
			if _, err := io.WriteString(c, out); err != nil {
				return
			}
		}
	}
}

const fakeEHLO = "250-fake.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"

// ehloThen answers EHLO with fakeEHLO and STARTTLS with starttls.
func ehloThen(starttls string) func(string, net.Conn) string {
	return func(line string, _ net.Conn) string {
		switch {
		case strings.HasPrefix(line, "EHLO"):
			return fakeEHLO
		case line == "STARTTLS":
			return starttls
		}
		return "502 5.5.2 Error: command not recognized\r\n"
	}
}

// forever writes s until the client goes away.
func forever(s string) func(net.Conn) {
	return func(c net.Conn) {
		chunk := []byte(strings.Repeat(s, 4096/len(s)+1))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
}

func drain(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

func startPeer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	l, err := sandbox.Serve("tcp", "127.0.0.1:0", handle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

// dialogue runs greeting, EHLO, STARTTLS (handshake with a config no fake
// can satisfy), as check_smtp_tls will, and returns the first error.
func dialogue(ctx context.Context, addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	c := New(conn)
	if _, err := c.Greeting(ctx); err != nil {
		return err
	}
	if _, _, err := c.Hello(ctx, "monitor.test"); err != nil {
		return err
	}
	_, err = c.StartTLS(ctx, &tls.Config{ServerName: "fake.test", MinVersion: tls.VersionTLS12})
	return err
}

func TestHostilePeers(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	p := &peer{}
	for _, tc := range []struct {
		name   string
		handle func(net.Conn)
		step   Step
		want   error // errors.Is
		code   int   // a *ReplyError with this code, when not 0
	}{
		{name: "accept and silence", handle: drain, step: StepGreeting, want: os.ErrDeadlineExceeded},
		{name: "greeting dripped a byte every 200 ms", handle: func(c net.Conn) {
			for _, b := range []byte("220 slow.test ESMTP\r\n") {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		}, step: StepGreeting, want: os.ErrDeadlineExceeded},
		{name: "binary garbage", handle: func(c net.Conn) { _, _ = c.Write([]byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n")); drain(c) },
			step: StepGreeting, want: ErrMalformed},
		{name: "an IMAP server", handle: p.serve("* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", ehloThen("")),
			step: StepGreeting, want: ErrMalformed},
		{name: "endless greeting line", handle: forever("x"), step: StepGreeting, want: ErrLineTooLong},
		{name: "endless continuation lines", handle: forever("220-still greeting you\r\n"), step: StepGreeting, want: ErrReplyTooLong},
		{name: "endless EHLO reply", handle: p.serve("220 fake.test ESMTP\r\n", func(_ string, c net.Conn) string {
			forever("250-SIZE 1\r\n")(c)
			return ""
		}), step: StepEHLO, want: ErrReplyTooLong},
		{name: "421 greeting", handle: p.serve("421 4.3.2 Service shutting down\r\n", ehloThen("")), step: StepGreeting, code: 421},
		{name: "554 greeting", handle: p.serve("554 5.7.1 No SMTP service here\r\n", ehloThen("")), step: StepGreeting, code: 554},
		{name: "EHLO refused", handle: p.serve("220 fake.test ESMTP\r\n", func(string, net.Conn) string { return "502 5.5.2 no EHLO\r\n" }),
			step: StepEHLO, code: 502},
		{name: "closed after the greeting", handle: p.serve("220 fake.test ESMTP\r\n", func(string, net.Conn) string { return "" }),
			step: StepEHLO, want: io.EOF},
		{name: "STARTTLS refused", handle: p.serve("220 fake.test ESMTP\r\n", ehloThen("454 4.7.0 TLS not available due to local problem\r\n")),
			step: StepStartTLS, code: 454},
		{name: "bytes injected after the 220 to STARTTLS, same write", handle: p.serve("220 fake.test ESMTP\r\n",
			ehloThen("220 2.0.0 Ready to start TLS\r\n250-injected.test\r\n250 AUTH PLAIN\r\n")), step: StepStartTLS, want: ErrInjected},
		{name: "bytes injected after the 220 to STARTTLS, later write", handle: p.serve("220 fake.test ESMTP\r\n",
			func(line string, c net.Conn) string {
				if line == "STARTTLS" {
					_, _ = io.WriteString(c, "220 2.0.0 Ready to start TLS\r\n")
					time.Sleep(50 * time.Millisecond)
					return "250 injected\r\n"
				}
				return ehloThen("")(line, c)
			}), step: StepTLS},
		{name: "a 220 sent ahead of STARTTLS", handle: p.serve("220 fake.test ESMTP\r\n", func(line string, c net.Conn) string {
			return fakeEHLO + "220 2.0.0 Ready to start TLS\r\n"
		}), step: StepStartTLS, want: ErrUnsolicited},
		{name: "stall after the 220 to STARTTLS", handle: p.serve("220 fake.test ESMTP\r\n", func(line string, c net.Conn) string {
			if line == "STARTTLS" {
				_, _ = io.WriteString(c, "220 go ahead\r\n")
				drain(c)
				return ""
			}
			return fakeEHLO
		}), step: StepTLS, want: context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := startPeer(t, tc.handle)
			ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
			defer cancel()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			err := dialogue(ctx, addr)
			took := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if took > 2*hostileDeadline {
				t.Errorf("took %v with a %v deadline", took, hostileDeadline)
			}
			// Bounded memory: the whole dialogue, whatever the peer sends,
			// allocates a few buffers, never what the peer streams.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d bytes", alloc)
			}
			var se *StepError
			if !errors.As(err, &se) || se.Step != tc.step {
				t.Fatalf("error %v, want one in step %q", err, tc.step)
			}
			// A stall ends at the deadline either way: the context's, or
			// the connection deadline set from it (an "i/o timeout",
			// os.ErrDeadlineExceeded), whichever the runtime sees first.
			timedOut := tc.want == context.DeadlineExceeded && errors.Is(err, os.ErrDeadlineExceeded)
			if tc.want != nil && !errors.Is(err, tc.want) && !timedOut {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			var re *ReplyError
			if tc.code != 0 && (!errors.As(err, &re) || re.Reply.Code != tc.code) {
				t.Errorf("error %v, want a %d reply", err, tc.code)
			}
		})
	}
	// Every fake is closed by its subtest's cleanup; nothing of ours may
	// be left running.
	var leaked error
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if leaked = goleak.Find(ignore); leaked == nil {
			return
		}
	}
	t.Errorf("goroutines left behind: %v", leaked)
}

// A cancelled context ends a stalled step at once, and says so.
func TestCancelEndsAStall(t *testing.T) {
	addr := startPeer(t, drain)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err = New(conn).Greeting(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v after a cancel at 100 ms", took)
	}
}

// Without a deadline in ctx a step is still bounded (DefaultStepTimeout is
// too long for a test; the mechanism is the same, shown by the deadline
// being set on the connection).
func TestStepWithoutDeadlineIsBounded(t *testing.T) {
	addr := startPeer(t, drain)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rec := &deadlineConn{Conn: conn}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, _ = New(rec).Greeting(ctx)
	if rec.first.IsZero() || time.Until(rec.first) > DefaultStepTimeout || time.Until(rec.first) < DefaultStepTimeout-2*time.Second {
		t.Errorf("first deadline set %v from now, want about %v", time.Until(rec.first), DefaultStepTimeout)
	}
}

type deadlineConn struct {
	net.Conn
	first time.Time
}

func (d *deadlineConn) SetDeadline(t time.Time) error {
	if d.first.IsZero() {
		d.first = t
	}
	return d.Conn.SetDeadline(t)
}

// AUTH is never sent in clear text, even when the server offers it.
func TestAuthRefusedWithoutTLS(t *testing.T) {
	p := &peer{}
	addr := startPeer(t, p.serve("220 fake.test ESMTP\r\n", func(line string, c net.Conn) string {
		if strings.HasPrefix(line, "EHLO") {
			return fakeEHLO
		}
		return "235 2.7.0 Authentication successful\r\n"
	}))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := New(conn)
	if _, err := c.Greeting(ctx); err != nil {
		t.Fatal(err)
	}
	ext, _, err := c.Hello(ctx, "monitor.test")
	if err != nil || !ext.AuthAdvertised() {
		t.Fatalf("EHLO: %+v, %v", ext, err)
	}
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		if _, err := c.Auth(ctx, mech, "alice", "secret"); !errors.Is(err, ErrNotOverTLS) {
			t.Errorf("%s over clear text: %v", mech, err)
		}
	}
	_, _ = c.Quit(ctx)
	for _, line := range p.got() {
		if strings.HasPrefix(line, "AUTH") || strings.Contains(line, "c2VjcmV0") {
			t.Errorf("the server received %q", line)
		}
	}
	for _, line := range c.Transcript() {
		if strings.HasPrefix(line, "C: AUTH") {
			t.Errorf("transcript shows an AUTH: %q", line)
		}
	}
}

func TestHelloRefusesBadNames(t *testing.T) {
	p := &peer{}
	addr := startPeer(t, p.serve("220 fake.test ESMTP\r\n", ehloThen("")))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := New(conn)
	if _, err := c.Greeting(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "a b", "x\r\nMAIL FROM:<a@b>", "nul\x00"} {
		if _, _, err := c.Hello(ctx, name); !errors.Is(err, ErrBadArgument) {
			t.Errorf("EHLO %q: %v", name, err)
		}
	}
	if got := p.got(); len(got) != 0 {
		t.Errorf("the server received %q", got)
	}
}
