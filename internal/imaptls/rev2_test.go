package imaptls

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// TestIMAP4rev2Accepted: a server that advertises IMAP4rev2 (Dovecot 2.4.2
// advertises it beside IMAP4rev1; an RFC 9051 server may advertise it
// alone) passes wherever an IMAP4rev1 server does: the whole dialogue with
// login and SELECT, and --expect-capability IMAP4rev1.
func TestIMAP4rev2Accepted(t *testing.T) {
	e := newFakeEnv(t)
	for _, caps := range []string{"IMAP4rev2 IDLE AUTH=PLAIN", "IMAP4rev1 IMAP4rev2 IDLE AUTH=PLAIN"} {
		var got []string
		var mu sync.Mutex
		srv := startFake(t, tlsHandler(e.cert, 0, imapScript("* OK [CAPABILITY "+caps+"] Dovecot ready.", &got, &mu)))
		cfg := e.cfg(srv.port)
		cfg.ExpectCapabilities = []string{"IMAP4rev1", "IDLE"}
		cfg.Login, cfg.Select = "bob", "INBOX"
		cfg.Getenv = func(string) string { return "pw" }
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r := Check(ctx, cfg)
		cancel()
		if r.State() != plugin.OK {
			t.Errorf("%s: %v %s", caps, r.State(), render(r))
		}
		if !strings.Contains(r.Summary, "INBOX has 3 messages") {
			t.Errorf("%s: summary %q", caps, r.Summary)
		}
	}
}
