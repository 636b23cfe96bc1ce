package imaptls

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

func readCerts(t *testing.T, paths ...string) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for {
			var block *pem.Block
			if block, b = pem.Decode(b); block == nil {
				break
			}
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
	}
	return out
}

// TestOffPathNotJudged: the AddTrust 2020 shape, made by openssl. The server
// sends leaf, intermediate and an expired, SHA-1-signed cross-certificate
// of the trusted root by a retired root. Clients verify leaf ->
// intermediate -> trusted root and never use the cross-certificate, so it
// must not be judged (no SHA-1 refusal, no expiry); it is listed with -v.
// With the retired root trusted too, two paths verify and the shortest
// decides. (Dovecot's OpenSSL refuses to serve a SHA-1 chain at security
// level 2, so this shape is judged here, from the certificates alone; the
// real-Dovecot test serves an expired SHA-256 cross-certificate.)
func TestOffPathNotJudged(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	root, err := sandbox.NewRootCA(dir, "Current Root")
	if err != nil {
		t.Fatal(err)
	}
	retired, err := sandbox.NewRootCA(dir, "Retired Root")
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.NewIntermediate("Issuing CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Issue("leaf", sandbox.Leaf{CommonName: "localhost", DNSNames: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	cross := filepath.Join(dir, "cross.pem")
	if err := retired.CrossSign(root, cross, now.AddDate(-8, 0, 0), now.AddDate(0, 0, -30), "sha1"); err != nil {
		t.Fatal(err)
	}
	served := readCerts(t, leaf.ChainPath, cross)
	if len(served) != 3 || served[2].SignatureAlgorithm != x509.ECDSAWithSHA1 {
		t.Fatalf("served chain: %d certificates, cross signed with %v", len(served), served[len(served)-1].SignatureAlgorithm)
	}
	trusted := x509.NewCertPool()
	trusted.AddCert(readCerts(t, root.CertPath)[0])
	cs := tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, PeerCertificates: served}
	cc := tlsjudge.JudgeConnection(cs, trusted, "localhost", now)
	if cc.TrustErr != nil || !cc.AcceptedNow || len(cc.Refusals) > 0 || len(cc.Verified) != 3 {
		t.Fatalf("verdict: trust %v accepted %v refusals %v path %d certificates", cc.TrustErr, cc.AcceptedNow, cc.Refusals, len(cc.Verified))
	}
	s := Session{Session: tlsjudge.Session{Addr: netip.MustParseAddrPort("127.0.0.1:993"), Handshaked: true, TLSVersion: cs.Version, CipherSuite: cs.CipherSuite, Chain: served, Cert: cc}, Greeting: parseResponse("* OK ready")}
	cfg := Config{Host: "localhost", Warning: tlsjudge.DefaultWarning, Critical: tlsjudge.DefaultCritical}
	r := Evaluate(cfg, Facts{Now: now, Port: 993, Sessions: []Session{s}})
	if r.State() != plugin.OK {
		t.Errorf("state %v: %s", r.State(), render(r))
	}
	if !strings.Contains(strings.Join(r.Debug, "\n"), `served but not in the path clients verify (not judged): subject "CN=Current Root,O=mailchecks test", issuer "CN=Retired Root,O=mailchecks test"`) {
		t.Errorf("the cross-certificate is not listed: %q", r.Debug)
	}

	// Both roots trusted and a valid SHA-256 cross-certificate: two paths
	// verify; the shortest (to the current root) is the one judged.
	cross256 := filepath.Join(dir, "cross256.pem")
	if err := retired.CrossSign(root, cross256, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0), ""); err != nil {
		t.Fatal(err)
	}
	trusted.AddCert(readCerts(t, retired.CertPath)[0])
	cs.PeerCertificates = readCerts(t, leaf.ChainPath, cross256)
	cc = tlsjudge.JudgeConnection(cs, trusted, "localhost", now)
	if cc.TrustErr != nil || len(cc.Verified) != 3 || cc.Verified[2].Subject.CommonName != "Current Root" {
		t.Errorf("with two paths, want leaf <- Issuing CA <- Current Root, got %d certificates (%v)", len(cc.Verified), cc.TrustErr)
	}
}

// TestAnyEKULeafRefused: a leaf whose extendedKeyUsage is only
// anyExtendedKeyUsage passes Go's verification but not OpenSSL's purpose
// check; the real-Dovecot test has openssl s_client's verdict beside it.
func TestAnyEKULeafRefused(t *testing.T) {
	dir := t.TempDir()
	root, err := sandbox.NewRootCA(dir, "Root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := root.Issue("any", sandbox.Leaf{CommonName: "localhost", DNSNames: []string{"localhost"}, ExtKeyUsage: "anyExtendedKeyUsage"})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(readCerts(t, root.CertPath)[0])
	cs := tls.ConnectionState{Version: tls.VersionTLS13, PeerCertificates: readCerts(t, leaf.CertPath)}
	cc := tlsjudge.JudgeConnection(cs, pool, "localhost", time.Now())
	if cc.AcceptedNow || len(cc.Refusals) != 1 || !strings.Contains(cc.Refusals[0].Text, "unsuitable certificate purpose") {
		t.Errorf("accepted %v, refusals %v", cc.AcceptedNow, cc.Refusals)
	}
}
