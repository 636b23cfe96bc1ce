package imaptls

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// A refusal is never OK, and it keeps the password back.
func TestRefusalMakesChainUnacceptable(t *testing.T) {
	pki, now := newTestPKI(t), time.Now()
	cert := pki.leaf(t, now.AddDate(0, 0, -1), now.AddDate(0, 0, 90))
	leaf := *cert.Leaf
	leaf.KeyUsage = x509.KeyUsageKeyEncipherment
	cs := tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, PeerCertificates: []*x509.Certificate{&leaf}}
	cc := tlsjudge.JudgeConnection(cs, pki.pool(), "localhost", now)
	if cc.AcceptedNow || len(cc.Refusals) != 1 {
		t.Fatalf("%+v", cc)
	}
}
