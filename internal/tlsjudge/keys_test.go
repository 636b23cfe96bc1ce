package tlsjudge

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
)

// The key usage a handshake needs depends on what was negotiated; the
// real-server cases (TLS 1.3 only, as Go offers) are in cmd/check_imaps_tls.
func TestKeyUsageRefusal(t *testing.T) {
	ku := func(u x509.KeyUsage) *x509.Certificate { return &x509.Certificate{KeyUsage: u} }
	for _, c := range []struct {
		leaf    *x509.Certificate
		version uint16
		suite   uint16
		want    string // "" for no refusal
	}{
		{ku(x509.KeyUsageDigitalSignature), tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, ""},
		{ku(x509.KeyUsageKeyEncipherment), tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, "lacks digitalSignature, which TLS 1.3 needs"},
		{ku(x509.KeyUsageKeyEncipherment), tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "lacks digitalSignature, which TLS 1.2 with ECDHE needs"},
		{ku(x509.KeyUsageKeyEncipherment), tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, ""},
		{ku(x509.KeyUsageDigitalSignature), tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "lacks keyEncipherment, which RSA key exchange"},
		{ku(x509.KeyUsageCertSign), tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, "OpenSSL and NSS clients refuse it (unsuitable certificate purpose)"},
		{ku(0), tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, ""}, // no extension: any use
	} {
		r, ok := keyUsageRefusal(c.leaf, c.version, c.suite)
		if (c.want == "") == ok || !strings.Contains(r.Text, c.want) {
			t.Errorf("%v %s %s: %v %q", c.leaf.KeyUsage, tls.VersionName(c.version), tls.CipherSuiteName(c.suite), ok, r.Text)
		}
	}
}
