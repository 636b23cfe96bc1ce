package imaptls

import (
	"context"
	"crypto/x509"
	"errors"
	"net/netip"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// probeAltCert connects once more for the certificate of the key type the
// main handshake did not get (see tlsjudge.AltHandshake); with STARTTLS it
// first reads the greeting and sends STARTTLS.
func probeAltCert(ctx context.Context, cfg Config, addr netip.AddrPort, want tlsjudge.KeyType, mainVersion uint16, roots *x509.CertPool, now time.Time) tlsjudge.AltCert {
	a := tlsjudge.AltCert{Type: want}
	conn, stop, _, err := tlsjudge.Connect(ctx, addr)
	if err != nil {
		a.Outcome, a.Err = tlsjudge.AltFailed, err
		return a
	}
	defer conn.Close()
	defer stop()
	if cfg.StartTLS {
		ic := newIMAPConn(conn)
		g, err := ic.greeting()
		if err == nil && (g.Tag != "*" || g.Status != "OK") {
			err = errors.New("greeting is not * OK: " + g.Line)
		}
		if err == nil {
			var done response
			if done, _, err = ic.command("STARTTLS"); err == nil && done.Status != "OK" {
				err = &StatusError{Command: "STARTTLS", Resp: done}
			}
		}
		if err == nil && ic.r.Buffered() > 0 {
			err = ErrInjected
		}
		if err != nil {
			a.Outcome, a.Err = tlsjudge.AltFailed, err
			return a
		}
	}
	return tlsjudge.AltHandshake(ctx, conn, cfg.judgeConfig(), want, mainVersion, roots, now)
}
