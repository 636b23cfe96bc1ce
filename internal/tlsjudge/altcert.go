package tlsjudge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// A server may hold two certificates, one per key type (Dovecot's
// ssl_server_alt_cert_file, ssl_alt_cert on 2.3), and OpenSSL serves each
// client the one that comes first in the client's signature algorithms:
// OpenSSL's own clients (openssl s_client, Python, curl, mutt) list ECDSA
// first and get the ECDSA certificate, Go lists RSA-PSS first and gets the
// RSA one. One handshake therefore sees only one of them. The other is asked
// for with a second handshake in TLS 1.2, where the cipher suite names the
// certificate's key type (Go cannot restrict the signature algorithms of a
// TLS 1.3 handshake):
//   - for ECDSA, every ECDHE suite is offered; Go lists the ECDSA ones first
//     (with or without AES hardware) and OpenSSL takes the client's order
//     (Dovecot's default ssl_prefer_server_ciphers = no), so an ECDSA
//     certificate is served if there is one, and an RSA one tells that
//     there is none;
//   - for RSA, the ECDHE-RSA AEAD suites and, last in Go's order, one
//     ECDHE-ECDSA CBC suite: a server with an RSA certificate picks an RSA
//     suite (by the client's order, or by its own, where the AEAD suites
//     come before CBC), one without serves ECDSA over that last suite,
//     which tells that TLS 1.2 is spoken and there is no RSA certificate.
//     A server that allows no CBC suite (Mozilla's "intermediate") and has
//     no RSA certificate ends the handshake instead: OpenSSL 3.5 with a
//     handshake_failure alert, Dovecot on OpenSSL 3.0 by closing the
//     connection, as a server that speaks only TLS 1.3 does too.

// KeyType is a certificate's key type as a server chooses by it.
type KeyType string

// The key types a server can hold one certificate each of.
const (
	KeyECDSA KeyType = "ECDSA"
	KeyRSA   KeyType = "RSA"
)

// KeyTypeOf is the key type of a leaf; "" for others (Ed25519, DSA).
func KeyTypeOf(c *x509.Certificate) KeyType {
	switch c.PublicKeyAlgorithm {
	case x509.ECDSA:
		return KeyECDSA
	case x509.RSA:
		return KeyRSA
	}
	return ""
}

// Other is the key type the second handshake asks for.
func (k KeyType) Other() KeyType {
	if k == KeyECDSA {
		return KeyRSA
	}
	return KeyECDSA
}

// clients says which clients a certificate of this key type is served to.
func (k KeyType) clients() string {
	if k == KeyECDSA {
		return "served to clients that prefer ECDSA, OpenSSL's default"
	}
	return "served to clients that prefer RSA, such as Go's and this check's"
}

// altSuites are the TLS 1.2 suites offered to ask for want (see above).
func altSuites(want KeyType) []uint16 {
	rsaAEAD := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}
	if want == KeyRSA {
		return append(rsaAEAD, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)
	}
	return append(rsaAEAD, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)
}

// AltOutcome is what asking for the other key type's certificate gave.
type AltOutcome int

// The outcomes of the second handshake.
const (
	AltServed       AltOutcome = iota // the server has one: Chain and Cert are set
	AltNone                           // it refused the handshake: it has no certificate of that type
	AltOnlyTLS13                      // it speaks only TLS 1.3, where Go cannot ask for a key type
	AltFailed                         // anything else (timeout, reset): Err says what
	AltNotAttempted                   // the main certificate is neither ECDSA nor RSA
	// AltNoneOrOnlyTLS13: a TLS 1.2 handshake offering only RSA was closed
	// without an alert after a TLS 1.3 main handshake: no RSA certificate,
	// or no TLS 1.2 at all; one handshake cannot tell which.
	AltNoneOrOnlyTLS13
)

// AltCert is the certificate a server serves to clients that prefer the key
// type the main handshake did not get.
type AltCert struct {
	Type       KeyType
	Outcome    AltOutcome
	Err        error
	TLSVersion uint16
	Suite      uint16
	Chain      []*x509.Certificate
	Cert       ChainCheck
}

// AltHandshake is the second handshake on conn, which is ready for it
// (after STARTTLS, or fresh for implicit TLS): it offers only want's TLS 1.2
// suites, and nothing is sent after it, as only the certificate is of
// interest. mainVersion is the main handshake's version: it tells a server
// that closes a TLS 1.2 handshake because it lacks the key type (it spoke
// TLS 1.2 before) from one that may speak only TLS 1.3.
func AltHandshake(ctx context.Context, conn net.Conn, cfg Config, want KeyType, mainVersion uint16, roots *x509.CertPool, now time.Time) AltCert {
	a := AltCert{Type: want}
	sni, name := cfg.ServerName()
	tc := tls.Client(conn, altTLSConfig(sni, want))
	if err := tc.HandshakeContext(ctx); err != nil {
		a.Outcome, a.Err = altFailure(err, want, mainVersion), err
		return a
	}
	cs := tc.ConnectionState()
	if len(cs.PeerCertificates) > 0 && KeyTypeOf(cs.PeerCertificates[0]) != want {
		// The server chose the other key type's suite: it has no
		// certificate of the one asked for (see altSuites).
		a.Outcome = AltNone
		return a
	}
	a.Outcome, a.TLSVersion, a.Suite, a.Chain = AltServed, cs.Version, cs.CipherSuite, cs.PeerCertificates
	a.Cert = JudgeConnection(cs, roots, name, now)
	return a
}

// altTLSConfig is ClientConfig limited to TLS 1.2 and altSuites.
func altTLSConfig(sni string, want KeyType) *tls.Config {
	c := ClientConfig(sni)
	c.MinVersion = tls.VersionTLS12
	c.MaxVersion = tls.VersionTLS12
	c.CipherSuites = altSuites(want)
	return c
}

// altFailure classifies a refused second handshake: a protocol_version
// alert when the server has no TLS 1.2; a handshake_failure alert (OpenSSL
// 3.5) when it has no certificate for the asked key type. A connection
// closed without an alert (Dovecot on OpenSSL 3.0) means the latter only if
// the main handshake showed TLS 1.2 spoken, or when every suite was offered
// (ECDSA): then nothing of TLS 1.2 is spoken.
func altFailure(err error, want KeyType, mainVersion uint16) AltOutcome {
	msg := err.Error()
	closed := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
	switch {
	case strings.Contains(msg, "protocol version"):
		return AltOnlyTLS13
	case strings.Contains(msg, "handshake failure"), strings.Contains(msg, "insufficient security"):
		return AltNone
	case closed && mainVersion == tls.VersionTLS12:
		return AltNone
	case closed && want == KeyECDSA:
		return AltOnlyTLS13
	case closed:
		return AltNoneOrOnlyTLS13
	}
	return AltFailed
}
