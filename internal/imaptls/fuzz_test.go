package imaptls

import (
	"bytes"
	"crypto/x509"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// The seeds are what a real Dovecot 2.3 (Debian 12) said, captured over
// IMAPS and plain IMAP: testdata/dovecot-*.transcript.
func transcriptSeeds(f *testing.F) []string {
	f.Helper()
	var lines []string
	for _, name := range []string{"testdata/dovecot-imaps.transcript", "testdata/dovecot-starttls.transcript"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		lines = append(lines, strings.Split(strings.TrimRight(string(b), "\r\n"), "\r\n")...)
	}
	return lines
}

// scriptConn is a net.Conn whose reads come from a fixed script and whose
// writes are discarded: the server side of a dialogue, for the fuzzers.
type scriptConn struct {
	r *bytes.Reader
}

func (c *scriptConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

// newScript is a client whose server says exactly b, then EOF.
func newScript(b []byte) *imapConn { return newIMAPConn(&scriptConn{bytes.NewReader(b)}) }

func joinCRLF(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

func responseBytes(rs []response) (n int) {
	for _, r := range rs {
		n += len(r.Line)
	}
	return n
}

// FuzzParseResponse: any line parses to a response that keeps the line and
// whose parts come from it.
func FuzzParseResponse(f *testing.F) {
	for _, l := range transcriptSeeds(f) {
		f.Add(l)
	}
	f.Add("* OK [ALERT] x")
	f.Add("* OK [")
	f.Add("a1 NO []")
	f.Fuzz(func(t *testing.T, line string) {
		r := parseResponse(line)
		if r.Line != line || !strings.HasPrefix(line, r.Tag) {
			t.Fatalf("%q -> %+v", line, r)
		}
		if r.Code != "" && !strings.Contains(line, "["+r.Code+"]") {
			t.Fatalf("code %q not in %q", r.Code, line)
		}
		for _, c := range r.capabilities() {
			if c == "" || strings.ContainsAny(c, " \t\r\n") {
				t.Fatalf("capability %q from %q", c, line)
			}
		}
	})
}

// FuzzLiteralSize: a literal announcement is read only when the line ends
// in {n} or {n+}, and n is never negative.
func FuzzLiteralSize(f *testing.F) {
	for _, s := range []string{"* 1 FETCH (BODY[] {12}", "{0}", "{+}", "{-1}", "{99999999999999999999}", "x {5+}", "}{", "{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		n, ok := literalSize(line)
		if ok && (n < 0 || !strings.HasSuffix(line, "}")) {
			t.Fatalf("%q -> %d %v", line, n, ok)
		}
	})
}

// FuzzGreeting: whatever the first bytes are, reading the greeting ends in a
// value or an error, reads at most one bounded line, and the evaluation of
// what was read is never OK unless the line is an IMAP "* OK".
func FuzzGreeting(f *testing.F) {
	for _, l := range transcriptSeeds(f) {
		f.Add([]byte(l + "\r\n"))
	}
	f.Add([]byte("* OK [CAPABILITY IMAP4rev1"))
	f.Add([]byte("* BYE Too many connections\r\n"))
	f.Add([]byte("\x00\xff\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ic := newScript(in)
		g, err := ic.greeting()
		if err != nil {
			return
		}
		if len(g.Line) > maxLineBytes {
			t.Fatalf("line of %d bytes", len(g.Line))
		}
		s := Session{Session: tlsjudge.Session{Addr: netip.MustParseAddrPort("127.0.0.1:993"), Handshaked: true, TLSVersion: 0x0304, Cert: tlsjudge.ChainCheck{Name: "localhost", TrustErr: x509.UnknownAuthorityError{}}}, Greeting: g}
		r := Evaluate(Config{Host: "localhost"}, Facts{Now: time.Now(), Port: 993, Sessions: []Session{s}})
		if r.State() == plugin.OK {
			t.Fatalf("OK for an untrusted chain and greeting %q", g.Line)
		}
		s.Cert = tlsjudge.ChainCheck{Name: "localhost", AcceptedNow: true}
		r = Evaluate(Config{Host: "localhost"}, Facts{Now: time.Now(), Port: 993, Sessions: []Session{s}})
		if r.State() == plugin.OK && !(g.Tag == "*" && g.Status == "OK") {
			t.Fatalf("OK for greeting %q", g.Line)
		}
	})
}

// FuzzCommandResponse: a whole command exchange (untagged lines, literals,
// the tagged answer) over arbitrary server bytes ends in a value or an
// error within the reader's limits.
func FuzzCommandResponse(f *testing.F) {
	f.Add(joinCRLF(transcriptSeeds(f)[1:3]...))
	f.Add(joinCRLF("* CAPABILITY IMAP4rev1 {5}", "IDLE", "a1 OK"))
	f.Add(joinCRLF("* 1 FETCH (BODY[] {3}", "abc)", "a1 OK"))
	f.Add([]byte("* CAPABILITY {999999999}\r\n"))
	f.Add(joinCRLF("+ go ahead", "a1 NO [ALERT] no"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ic := newScript(in)
		done, untagged, err := ic.command("CAPABILITY")
		if err == nil && done.Tag != "a1" {
			t.Fatalf("answered by %q", done.Line)
		}
		// What is kept never exceeds what was sent, nor the limits.
		if n := responseBytes(untagged) + len(done.Line); n > len(in) || n > maxResponseBytes+maxLineBytes {
			t.Fatalf("%d bytes of response from %d bytes of input", n, len(in))
		}
		if len(untagged) > maxResponseLines {
			t.Fatalf("%d untagged lines", len(untagged))
		}
	})
}

// FuzzCapabilityList: the CAPABILITY command's list is upper case atoms,
// and every one was on an untagged CAPABILITY line.
func FuzzCapabilityList(f *testing.F) {
	seeds := transcriptSeeds(f)
	f.Add(joinCRLF(seeds[1], seeds[2]))
	f.Add(joinCRLF("* capability imap4rev1 auth=plain", "a1 OK"))
	f.Add(joinCRLF("* CAPABILITY", "a1 OK"))
	f.Add(joinCRLF("a1 NO"))
	f.Fuzz(func(t *testing.T, in []byte) {
		caps, err := newScript(in).capability()
		if err != nil {
			return
		}
		for _, c := range caps {
			if c == "" || c != strings.ToUpper(c) || strings.ContainsAny(c, " \t\r\n") {
				t.Fatalf("capability %q from %q", c, in)
			}
			if !bytes.Contains(bytes.ToUpper(in), []byte(c)) {
				t.Fatalf("capability %q not in the input", c)
			}
		}
	})
}
