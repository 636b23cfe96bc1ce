package smtptls

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/imaptls"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/smtpdialog"
)

func TestModeByPort(t *testing.T) {
	for _, c := range []struct {
		cfg      Config
		implicit bool
		port     int
	}{
		{Config{}, false, 587},
		{Config{Port: 465}, true, 465},
		{Config{Port: 25}, false, 25},
		{Config{Port: 465, StartTLS: true}, false, 465},
		{Config{Port: 2525, ImplicitTLS: true}, true, 2525},
	} {
		if c.cfg.implicit() != c.implicit || c.cfg.port() != c.port {
			t.Errorf("%+v: implicit %v port %d, want %v %d", c.cfg, c.cfg.implicit(), c.cfg.port(), c.implicit, c.port)
		}
	}
}

// A session without an error but without the facts an OK speaks about
// (a gather bug) must never come out OK.
func TestNoOKWithoutFacts(t *testing.T) {
	cfg := Config{Host: "127.0.0.1"}
	cfg.TLS.Defaults()
	f := Facts{Now: time.Now(), Port: 587, Sessions: []Session{{
		TLS:      imaptls.Session{Addr: netip.MustParseAddrPort("127.0.0.1:587")},
		Greeting: smtpdialog.Reply{Code: 220},
		PlainExt: smtpdialog.Extensions{StartTLS: true},
	}}}
	r := Evaluate(cfg, f)
	if r.State() == plugin.OK {
		t.Fatalf("OK without a handshake or a certificate:\n%+v", r)
	}
	if !strings.Contains(r.Summary, "check incomplete") {
		t.Errorf("summary %q does not say the check is incomplete", r.Summary)
	}
}

// Every Dovecot setting the shared judgement names is reworded for Postfix.
func TestPostfixWordsReplaceDovecotSettings(t *testing.T) {
	for _, s := range []string{imaptls.DovecotSettingCert, imaptls.DovecotSettingCertAndKey, imaptls.DovecotConfCert,
		"then doveadm reload", "doveadm reload (or systemctl reload dovecot)"} {
		got := postfixWords.Replace(s)
		if strings.Contains(strings.ToLower(got), "dove") {
			t.Errorf("%q reworded as %q", s, got)
		}
	}
}
