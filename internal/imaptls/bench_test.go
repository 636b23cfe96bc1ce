package imaptls

import (
	"crypto/tls"
	"crypto/x509"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

// dovecotLines is the real IMAPS transcript the fuzzers are seeded with.
func dovecotLines(b *testing.B) []string {
	b.Helper()
	raw, err := os.ReadFile("testdata/dovecot-imaps.transcript")
	if err != nil {
		b.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(raw), "\r\n"), "\r\n")
}

func BenchmarkParseResponse(b *testing.B) {
	lines := dovecotLines(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			_ = parseResponse(l).capabilities()
		}
	}
}

// BenchmarkCapabilityCommand reads Dovecot's post-login CAPABILITY answer,
// the longest line it sends, through the bounded reader.
func BenchmarkCapabilityCommand(b *testing.B) {
	lines := dovecotLines(b)
	answer := []byte(lines[3] + "\r\na1 OK done\r\n")
	b.ReportAllocs()
	for b.Loop() {
		if caps, err := newScript(answer).capability(); err != nil || len(caps) < 10 {
			b.Fatal(caps, err)
		}
	}
}

// benchSession is a complete, OK session as gather makes it against Dovecot.
func benchSession(b *testing.B) (Session, *testPKI, time.Time) {
	pki := newTestPKI(b)
	now := time.Now()
	leaf := pki.leaf(b, now.AddDate(0, 0, -1), now.AddDate(0, 0, 200)).Leaf
	return Session{Session: tlsjudge.Session{Addr: netip.MustParseAddrPort("127.0.0.1:993"), Handshaked: true, TLSVersion: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, Chain: []*x509.Certificate{leaf}}, Greeting: parseResponse(dovecotLines(b)[0]), Caps: []string{"IMAP4rev1", "IDLE"}}, pki, now
}

func BenchmarkJudgeConnection(b *testing.B) {
	s, pki, now := benchSession(b)
	cs := tls.ConnectionState{Version: s.TLSVersion, CipherSuite: s.CipherSuite, PeerCertificates: s.Chain}
	pool := pki.pool()
	b.ReportAllocs()
	for b.Loop() {
		if cc := tlsjudge.JudgeConnection(cs, pool, "localhost", now); !cc.AcceptedNow {
			b.Fatalf("%+v", cc)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	s, pki, now := benchSession(b)
	s.Cert = tlsjudge.JudgeConnection(tls.ConnectionState{Version: s.TLSVersion, CipherSuite: s.CipherSuite, PeerCertificates: s.Chain}, pki.pool(), "localhost", now)
	cfg := Config{Host: "localhost"}
	cfg.Warning, _ = tlsjudge.ParseExpiry("30")
	cfg.Critical, _ = tlsjudge.ParseExpiry("14")
	f := Facts{Now: now, Port: 993, Sessions: []Session{s}}
	b.ReportAllocs()
	for b.Loop() {
		if r := Evaluate(cfg, f); r.State() != 0 {
			b.Fatalf("%v %q", r.State(), r.Summary)
		}
	}
}
