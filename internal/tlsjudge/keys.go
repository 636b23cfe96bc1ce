package tlsjudge

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// Refusal is a reason mail clients refuse the served chain that Go's chain
// verification alone does not give (Go accepts a leaf without
// digitalSignature and 1024-bit RSA), or gives only as an opaque error (a
// SHA-1 or DSA signature). Each is CRITICAL: the clients named refuse the
// connection.
//
// The rules are those of the clients, not of Go:
//   - OpenSSL 3.0 on Debian 12 runs at security level 2 (/etc/ssl/openssl.cnf
//     CipherString = DEFAULT:@SECLEVEL=2): keys of at least 112 bits of
//     security, i.e. RSA and DSA of 2048 bits, ECC of 224 bits ("EE
//     certificate key too weak", "CA certificate key too weak"), and no SHA-1
//     signatures on certificates (refused from level 1: "CA signature digest
//     algorithm too weak"); a trust anchor's own self-signature is not checked.
//   - keyUsage must allow the key's use in the negotiated handshake (RFC 5246
//     7.4.2, RFC 8446 4.4.2.4; NSS and SChannel enforce it; OpenSSL 3.0's
//     X509_check_purpose refuses only a leaf without any TLS usage, as the
//     openssl s_client tests show):
//     digitalSignature for ECDHE and TLS 1.3, keyEncipherment for RSA key
//     exchange.
//   - DSA: TLS 1.3 has no DSA signatures; Go, NSS, Apple and Windows clients
//     have dropped DSA certificates.
type Refusal struct {
	Text string
	// Fix is what to do in no server's words; FixFor adds where the new
	// key is set (NewKey) and the server's reload (Reload).
	Fix            string
	NewKey, Reload bool
}

// FixFor is the refusal's fix in srv's words.
func (rf Refusal) FixFor(srv Server) string {
	fix := rf.Fix
	if rf.NewKey {
		fix += ", set " + srv.CertAndKeySetting
	}
	if rf.Reload {
		fix += ", then " + srv.Reload
	}
	return fix
}

// JudgeConnection is the whole verdict on a handshake: the chain, the name,
// the dates (VerifyChain) and what clients refuse on top. A refusal makes
// the chain not AcceptedNow, so no password is sent to it.
func JudgeConnection(cs tls.ConnectionState, roots *x509.CertPool, name string, now time.Time) ChainCheck {
	cc := VerifyChain(cs.PeerCertificates, roots, name, now)
	cc.Refusals = refusals(cs.PeerCertificates, cc.Verified, cs.Version, cs.CipherSuite)
	if len(cc.Refusals) > 0 {
		cc.AcceptedNow = false
	}
	return cc
}

// refusals lists what clients refuse in the served chain and, when it was
// verified, the trust anchor it ends at.
func refusals(served, verified []*x509.Certificate, version, suite uint16) []Refusal {
	var out []Refusal
	if len(served) == 0 {
		return nil
	}
	if r, ok := keyUsageRefusal(served[0], version, suite); ok {
		out = append(out, r)
	}
	if r, ok := anyEKURefusal(served[0]); ok {
		out = append(out, r)
	}
	// The path clients verify; certificates served beside it (an old
	// cross-certificate) are not used by any client and not judged.
	certs := verified
	if len(certs) == 0 {
		certs = served
	}
	for i, c := range certs {
		role := "the leaf certificate"
		fix := Refusal{Fix: "issue a new key and certificate: an ECDSA P-256 key (certbot --key-type ecdsa) or RSA of at least 2048 bits (certbot --rsa-key-size 4096)", NewKey: true, Reload: true}
		if i > 0 {
			role = "the CA certificate"
			fix = Refusal{Fix: "the CA must be replaced by one with a stronger key: serve a chain from a current CA (fullchain.pem of your ACME client), or re-create the private CA with an ECDSA P-256 or RSA 2048+ key and pass it with --ca-file"}
		}
		who := fmt.Sprintf("%s %q", role, c.Subject.String())
		switch k := c.PublicKey.(type) {
		case *rsa.PublicKey:
			if bits := k.N.BitLen(); bits < 2048 {
				what := "EE certificate key too weak"
				if i > 0 {
					what = "CA certificate key too weak"
				}
				fix.Text = fmt.Sprintf("certificate: %s has a %d-bit RSA key: OpenSSL at security level 2 (Debian 12's default) refuses RSA keys under 2048 bits (%s)", who, bits, what)
				out = append(out, fix)
			}
		case *ecdsa.PublicKey:
			if bits := k.Curve.Params().BitSize; bits < 224 {
				fix.Text = fmt.Sprintf("certificate: %s has a %d-bit EC key: OpenSSL at security level 2 refuses EC keys under 224 bits", who, bits)
				out = append(out, fix)
			}
		}
		if c.PublicKeyAlgorithm == x509.DSA {
			fix.Text = fmt.Sprintf("certificate: %s has a DSA key: TLS 1.3 cannot use DSA, and Go, NSS, Apple and Windows clients refuse DSA certificates", who)
			out = append(out, fix)
		}
		if selfSigned(c) {
			continue // a trust anchor's own signature is not checked
		}
		if weakSignature(c.SignatureAlgorithm) {
			out = append(out, Refusal{
				Text:   fmt.Sprintf("certificate: %s is signed with %s: OpenSSL 3 (security level 1 and up), NSS and Go refuse SHA-1 and MD5 signatures (CA signature digest algorithm too weak)", who, c.SignatureAlgorithm),
				Fix:    "have it reissued with a SHA-256 signature (every current CA signs so; for a private CA: openssl ca -md sha256, or default_md = sha256)",
				Reload: true})
		}
		if dsaSignature(c.SignatureAlgorithm) {
			out = append(out, Refusal{
				Text:   fmt.Sprintf("certificate: %s is signed with %s by a DSA CA key: Go, NSS, Apple and Windows clients cannot verify DSA signatures", who, c.SignatureAlgorithm),
				Fix:    "have it reissued by a CA with an ECDSA or RSA key",
				Reload: true})
		}
	}
	return out
}

// keyUsageRefusal checks the leaf's keyUsage against the handshake: a
// certificate without the extension may be used for anything.
func keyUsageRefusal(leaf *x509.Certificate, version, suite uint16) (Refusal, bool) {
	if leaf.KeyUsage == 0 && !hasKeyUsageExtension(leaf) {
		return Refusal{}, false
	}
	need, needName, why := x509.KeyUsageDigitalSignature, "digitalSignature", "which "+tls.VersionName(version)+" with ECDHE needs (the server signs the handshake)"
	if version == tls.VersionTLS13 {
		why = "which TLS 1.3 needs (the server signs the handshake)"
	} else if strings.HasPrefix(tls.CipherSuiteName(suite), "TLS_RSA_") {
		need, needName, why = x509.KeyUsageKeyEncipherment, "keyEncipherment", "which RSA key exchange ("+tls.CipherSuiteName(suite)+") needs"
	}
	if leaf.KeyUsage&need != 0 {
		return Refusal{}, false
	}
	who := "NSS clients (Thunderbird, Evolution) and Windows SChannel (Outlook) refuse it (inadequate key usage); OpenSSL 3.0 lets it pass"
	if leaf.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment|x509.KeyUsageKeyAgreement) == 0 {
		// No TLS server usage at all: X509_check_purpose refuses too.
		who = "OpenSSL and NSS clients refuse it (unsuitable certificate purpose)"
	}
	return Refusal{
		Text:   fmt.Sprintf("certificate: the leaf's keyUsage (%s) lacks %s, %s: %s", keyUsageNames(leaf.KeyUsage), needName, why, who),
		Fix:    "reissue the certificate with keyUsage = critical, digitalSignature (plus keyEncipherment for an RSA key), as every public CA does; in an openssl extension file: keyUsage = critical, digitalSignature, keyEncipherment",
		Reload: true,
	}, true
}

// anyEKURefusal refuses a leaf whose extendedKeyUsage has
// anyExtendedKeyUsage but not serverAuth: Go accepts it for a server, but
// OpenSSL's purpose check (X509_check_purpose, SSL server) and Python refuse
// it with "unsuitable certificate purpose".
func anyEKURefusal(leaf *x509.Certificate) (Refusal, bool) {
	hasAny, hasServer := false, false
	for _, u := range leaf.ExtKeyUsage {
		hasAny = hasAny || u == x509.ExtKeyUsageAny
		hasServer = hasServer || u == x509.ExtKeyUsageServerAuth
	}
	if !hasAny || hasServer {
		return Refusal{}, false
	}
	return Refusal{
		Text:   "certificate: the leaf's extendedKeyUsage is anyExtendedKeyUsage without serverAuth: OpenSSL (openssl s_client, Python, curl, mutt) refuses it (unsuitable certificate purpose)",
		Fix:    "reissue the certificate with extendedKeyUsage = serverAuth (as every public CA does; in an openssl extension file: extendedKeyUsage = serverAuth)",
		Reload: true,
	}, true
}

// hasKeyUsageExtension reports a keyUsage extension (2.5.29.15), even one
// with no bits set.
func hasKeyUsageExtension(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal([]int{2, 5, 29, 15}) {
			return true
		}
	}
	return false
}

func keyUsageNames(ku x509.KeyUsage) string {
	names := []string{"digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var out []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "empty"
	}
	return strings.Join(out, ", ")
}

// selfSigned is a self-issued certificate (a root): clients take it as a
// trust anchor and do not check its signature, whatever the algorithm.
func selfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject)
}

func weakSignature(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
		return true
	}
	return false
}

func dsaSignature(a x509.SignatureAlgorithm) bool {
	return a == x509.DSAWithSHA256 // DSAWithSHA1 is reported as SHA-1
}
