package main

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// clientCase is a certificate that the plugin must judge as the mail clients
// do; openssl s_client -verify_return_error (Debian 12: OpenSSL 3.0 at
// security level 2) gives the reference verdict for each.
type clientCase struct {
	name string
	// rootKey is the root CA's key type ("" EC P-256); leaf as issued.
	rootKey string
	leaf    sandbox.Leaf
	// goServer serves the case from a Go TLS server: Dovecot's own OpenSSL
	// refuses to load the certificate at its security level ("ee key too
	// small", "ca md too weak"), so it cannot be served by Dovecot at all.
	goServer bool
	// opensslRefuses is the reference verdict, a regular expression for the
	// reason OpenSSL prints (3.0 and 3.5 word some differently); "" when
	// openssl accepts the chain.
	opensslRefuses string
	wantCode       int
	want           []string
}

var clientCases = []clientCase{
	{name: "RSA 2048 leaf, full keyUsage", leaf: sandbox.Leaf{Key: "RSA:2048"}, wantCode: 0,
		want: []string{"OK: IMAPS", "chain trusted"}},
	{name: "keyUsage without digitalSignature", leaf: sandbox.Leaf{KeyUsage: "critical,keyEncipherment"},
		opensslRefuses: "", // OpenSSL 3.0's client does not check the bit; NSS refuses
		wantCode:       2, want: []string{"CRITICAL: certificate: the leaf's keyUsage (keyEncipherment) lacks digitalSignature, which TLS 1.3 needs", "NSS clients", "keyUsage = critical, digitalSignature"}},
	{name: "keyUsage keyCertSign only", leaf: sandbox.Leaf{KeyUsage: "critical,keyCertSign"},
		opensslRefuses: "unsuitable certificate purpose",
		wantCode:       2, want: []string{"lacks digitalSignature"}},
	{name: "RSA 1024 leaf", leaf: sandbox.Leaf{Key: "RSA:1024"}, goServer: true,
		opensslRefuses: "EE certificate key too weak",
		wantCode:       2, want: []string{"has a 1024-bit RSA key", "EE certificate key too weak", "certbot --key-type ecdsa"}},
	{name: "RSA 1024 root", rootKey: "RSA:1024",
		opensslRefuses: "CA certificate key too weak",
		wantCode:       2, want: []string{`the CA certificate "CN=Weak Root,O=mailchecks test" has a 1024-bit RSA key`}},
	{name: "SHA-1 signed leaf", leaf: sandbox.Leaf{Digest: "sha1"}, goServer: true,
		opensslRefuses: "digest algorithm too weak",
		wantCode:       2, want: []string{"is signed with ECDSA-SHA1", "SHA-256 signature"}},
	// A DSA root: Dovecot's OpenSSL finds no chain that fits Go's signature
	// algorithms and ends the handshake (3.0 closes the connection, 3.5
	// sends a handshake_failure alert); OpenSSL still accepts DSA-2048.
	{name: "DSA root", rootKey: "DSA:2048",
		opensslRefuses: "",
		wantCode:       2, want: []string{"CRITICAL: TLS handshake", "a DSA key or a DSA-signed chain fails"}},
	// A DSA leaf: Dovecot's default ssl_cipher_list has no DSS suite, so
	// nobody gets a handshake.
	{name: "DSA leaf", leaf: sandbox.Leaf{Key: "DSA:2048"},
		opensslRefuses: "unexpected eof|alert handshake failure", // no shared cipher: 3.0 ends the connection, 3.5 alerts
		wantCode:       2, want: []string{"CRITICAL: TLS handshake", "DSA"}},
}

// TestLeafAsClientsJudgeIt runs every case against a real server and
// asserts both verdicts: the plugin's and openssl's. The plugin may be
// stricter than OpenSSL (NSS and the platform verifiers refuse more), never
// more lenient: no OK where openssl refuses.
func TestLeafAsClientsJudgeIt(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is needed as the reference client: apt-get install -y openssl")
	}
	dir := t.TempDir()
	type served struct {
		port int
		ca   string
	}
	servers := make([]served, len(clientCases))
	var wg sync.WaitGroup
	errs := make([]error, len(clientCases))
	for i, c := range clientCases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i].port, servers[i].ca, errs[i] = serveCase(t, filepath.Join(dir, strconv.Itoa(i)), c)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", clientCases[i].name, err)
		}
	}
	for i, c := range clientCases {
		t.Run(c.name, func(t *testing.T) {
			srv := servers[i]
			refused, why := opensslVerdict(t, srv.port, srv.ca)
			if c.opensslRefuses != "" && (!refused || !regexp.MustCompile(c.opensslRefuses).MatchString(why)) {
				t.Errorf("openssl: want refused with %q, got refused=%v %q", c.opensslRefuses, refused, why)
			}
			if c.opensslRefuses == "" && refused {
				t.Errorf("openssl refused (%s): the case's reference verdict changed", why)
			}
			args := []string{"-H", "127.0.0.2", "-p", strconv.Itoa(srv.port), "--ca-file", srv.ca, "-t", "5"}
			out := expect(t, c.wantCode, c.want, args...)
			if refused && strings.HasPrefix(out, "OK") {
				t.Errorf("false OK: openssl refuses (%s)", why)
			}
		})
	}
}

// serveCase issues the case's certificates with openssl and serves them
// from Dovecot, or from a Go TLS server speaking just the greeting.
func serveCase(t *testing.T, dir string, c clientCase) (port int, caPath string, err error) {
	rootName := "Client Case Root"
	if c.rootKey != "" {
		rootName = "Weak Root"
	}
	root, err := sandbox.NewRootCAWithKey(dir, rootName, c.rootKey)
	if err != nil {
		return 0, "", err
	}
	leaf := c.leaf
	leaf.CommonName, leaf.DNSNames, leaf.IPs = "localhost", []string{"localhost"}, []string{"127.0.0.1", "127.0.0.2"}
	is, err := root.Issue("leaf", leaf)
	if err != nil {
		return 0, "", err
	}
	if !c.goServer {
		d, err := sandbox.StartDovecot(sandbox.DovecotOptions{CertPath: is.ChainPath, KeyPath: is.KeyPath})
		if err != nil {
			return 0, "", err
		}
		t.Cleanup(d.Stop)
		return d.IMAPSPort, root.CertPath, nil
	}
	cert, err := tls.LoadX509KeyPair(is.ChainPath, is.KeyPath)
	if err != nil {
		return 0, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		return 0, "", err
	}
	var conns sync.WaitGroup
	t.Cleanup(func() { ln.Close(); conns.Wait() })
	go func() {
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				defer raw.Close()
				_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
				tc := tls.Server(raw, &tls.Config{Certificates: []tls.Certificate{cert}})
				if tc.Handshake() != nil {
					return
				}
				_, _ = io.WriteString(tc, "* OK [CAPABILITY IMAP4rev1] ready\r\n")
				_, _ = io.Copy(io.Discard, tc)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, root.CertPath, nil
}

// opensslVerdict connects with openssl s_client as a strict client does and
// reports whether it refused the server, with its reason.
func opensslVerdict(t *testing.T, port int, caPath string) (refused bool, why string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", "127.0.0.2:"+strconv.Itoa(port),
		"-CAfile", caPath, "-verify_return_error", "-verify_hostname", "localhost", "-servername", "localhost", "-brief")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	t.Logf("openssl s_client: %v\n%s", err, out)
	text := string(out)
	if err != nil {
		return true, text
	}
	return strings.Contains(text, "verify error"), text
}
