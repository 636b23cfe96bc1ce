package imaptls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

func TestVerifyChain(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	good := pki.leaf(t, now.AddDate(0, 0, -10), now.AddDate(0, 0, 80)).Leaf
	expired := pki.leaf(t, now.AddDate(0, 0, -90), now.AddDate(0, 0, -1)).Leaf

	cc := tlsjudge.VerifyChain([]*x509.Certificate{good}, pki.pool(), "localhost", now)
	if cc.TrustErr != nil || cc.NameErr != nil || !cc.AcceptedNow || len(cc.Verified) != 2 {
		t.Errorf("good: %+v", cc)
	}
	cc = tlsjudge.VerifyChain([]*x509.Certificate{good}, pki.pool(), "mail.example.org", now)
	if cc.TrustErr != nil || cc.NameErr == nil || cc.AcceptedNow {
		t.Errorf("name: %+v", cc)
	}
	// Expired but from a trusted CA: trust holds, a client still refuses.
	cc = tlsjudge.VerifyChain([]*x509.Certificate{expired}, pki.pool(), "localhost", now)
	if cc.TrustErr != nil || cc.AcceptedNow {
		t.Errorf("expired: %+v", cc)
	}
	cc = tlsjudge.VerifyChain([]*x509.Certificate{good}, x509.NewCertPool(), "localhost", now)
	if cc.TrustErr == nil || cc.AcceptedNow {
		t.Errorf("untrusted: %+v", cc)
	}
	if cc := tlsjudge.VerifyChain(nil, pki.pool(), "localhost", now); cc.TrustErr == nil || cc.AcceptedNow {
		t.Errorf("no certificate: %+v", cc)
	}
}

// A root that expired while the served leaf is still valid: the served
// dates are fine, so verifyChain itself must say why clients refuse.
func TestVerifyChainExpiredRoot(t *testing.T) {
	now := time.Now()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Old Root"},
		NotBefore: now.AddDate(-10, 0, 0), NotAfter: now.AddDate(0, 0, -1), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &key.PublicKey, key)
	root, _ := x509.ParseCertificate(der)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: now.AddDate(0, 0, -30), NotAfter: now.AddDate(0, 0, 60), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, _ = x509.CreateCertificate(rand.Reader, leafTmpl, root, &leafKey.PublicKey, key)
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	cc := tlsjudge.VerifyChain([]*x509.Certificate{leaf}, pool, "localhost", now)
	if cc.AcceptedNow || cc.TrustErr == nil || !strings.Contains(cc.TrustErr.Error(), `the trusted CA "CN=Old Root" is outside its validity`) {
		t.Errorf("%+v", cc)
	}
}
