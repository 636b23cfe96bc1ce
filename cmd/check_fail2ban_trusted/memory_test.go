package main

import (
	"bufio"
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"

	ogorek "github.com/kisielk/og-rek"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// maxCheckRSS is what a check may use whatever a socket peer sends.
const maxCheckRSS = 64 << 20

// pickleReply is a fail2ban reply as fail2ban's server pickles it: the
// (code, value) tuple, then the end marker.
func pickleReply(t *testing.T, value any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := ogorek.NewEncoderWithConfig(&buf, &ogorek.EncoderConfig{Protocol: 2, StrictUnicode: true})
	if err := enc.Encode(ogorek.Tuple{int64(0), value}); err != nil {
		t.Fatal(err)
	}
	return append(buf.Bytes(), "<F2B_END_COMMAND>"...)
}

// servePeer answers every request on a unix socket with the reply that
// answer picks for it: a broken or hostile peer (a wrong --socket path, a
// compromised mail host in SSH mode), which no real fail2ban is on demand.
func servePeer(t *testing.T, answer func(request string) []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "peer.sock")
	l, err := sandbox.Serve("unix", path, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			req, err := r.ReadString('>') // ...<F2B_END_COMMAND>
			for err == nil && !strings.HasSuffix(req, "<F2B_END_COMMAND>") {
				var more string
				more, err = r.ReadString('>')
				req += more
			}
			if err != nil || strings.Contains(req, "CLOSE_COMMAND") {
				return
			}
			if _, err := c.Write(answer(req)); err != nil {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return path
}

// TestHostileRepliesBoundMemory runs the real binary against peers whose
// replies are as large and as expensive to unpickle as the caps allow, and
// past them: each run ends UNKNOWN naming what was refused, within the
// memory the check may use.
func TestHostileRepliesBoundMemory(t *testing.T) {
	bin := buildPlugin(t, t.TempDir())
	status := func(jails string) []byte {
		return pickleReply(t, []any{ogorek.Tuple{"Number of jail", int64(1)}, ogorek.Tuple{"Jail list", jails}})
	}
	manyStrings := func(n int) []any {
		list := make([]any, n)
		for i := range list {
			list[i] = "a"
		}
		return list
	}
	// A jail that bans the target and is healthy otherwise, so that the
	// check goes on to read its ban list (only a banning jail's is read).
	banList := func(list []any) func(string) []byte {
		return func(req string) []byte {
			switch {
			case strings.Contains(req, "short"):
				return pickleReply(t, []any{ogorek.Tuple{"Actions", []any{ogorek.Tuple{"Currently banned", int64(len(list))}}}})
			case strings.Contains(req, "status"):
				return status("dovecot")
			case strings.Contains(req, "banned"):
				return pickleReply(t, int64(1))
			case strings.Contains(req, "banip"):
				return pickleReply(t, list)
			case strings.Contains(req, "ignoreself"), strings.Contains(req, "ignorecommand"):
				return pickleReply(t, false)
			}
			return pickleReply(t, []any{})
		}
	}
	nones := make([]any, 8<<20)
	for i := range nones {
		nones[i] = ogorek.None{}
	}
	cases := []struct {
		name   string
		answer func(req string) []byte
		want   string
	}{
		{"16 MB jail list of one-letter jails", func(string) []byte {
			return status(strings.Repeat("a,", 8<<20))
		}, "reply to `status` exceeds 256 KiB"},
		{"2000 jails", func(string) []byte {
			return status(strings.Repeat("a,", 2000))
		}, "names 2001 jails, more than the 1000"},
		{"ban list of 2.5 million one-letter strings (15 MB)", banList(manyStrings(5 << 19)), "reply to `get dovecot banip --with-time` exceeds 8192 KiB"},
		{"ban list of 1.3 million one-letter strings (8 MB)", banList(manyStrings(1300000)), "more than 200000 pickle opcodes"},
		{"ban list of 8 million None (8 MB)", banList(nones[:8000000]), "more than 200000 pickle opcodes"},
		{"ban list of 199000 one-letter strings, under every cap", banList(manyStrings(199000)), "203.0.113.7 is banned in dovecot"},
		{"ignoreip of 3 million one-letter strings", func(req string) []byte {
			switch {
			case strings.Contains(req, "status"):
				return status("dovecot")
			case strings.Contains(req, "ignoreip"):
				return pickleReply(t, manyStrings(3<<20))
			}
			return pickleReply(t, []any{})
		}, "reply to `get dovecot ignoreip` exceeds 256 KiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := servePeer(t, c.answer)
			out, code, rss := runMeasured(t, bin, "--socket", path, "--ip", "203.0.113.7", "-t", "20")
			first, _, _ := strings.Cut(out, "\n")
			t.Logf("exit %d, peak RSS %d MiB: %s", code, rss>>20, first)
			wantCode, wantState := 3, "UNKNOWN"
			if strings.HasSuffix(c.want, "is banned in dovecot") {
				wantCode, wantState = 2, "CRITICAL"
			}
			if code != wantCode || !strings.HasPrefix(first, wantState) || !strings.Contains(first, c.want) {
				t.Errorf("want %s naming %q, got exit %d: %s", wantState, c.want, code, first)
			}
			if rss > maxCheckRSS {
				t.Errorf("peak RSS %d MiB, more than %d MiB", rss>>20, maxCheckRSS>>20)
			}
		})
	}
}

// runMeasured runs bin with args and returns its output, exit code and
// peak RSS in bytes (sandbox.RunMeasured: the system Python forks it).
func runMeasured(t *testing.T, bin string, args ...string) (string, int, int64) {
	t.Helper()
	m, err := sandbox.RunMeasured(nil, bin, append([]string{"--kernel=skip"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m.Output, m.Code, m.PeakRSS
}
