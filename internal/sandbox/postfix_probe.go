package sandbox

import (
	"bufio"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// smtpGreets succeeds once addr sends a "220 " greeting (after a TLS
// handshake when implicit), and quits politely so that smtpd logs no
// "lost connection".
func smtpGreets(addr string, implicitTLS bool) func() error {
	return func() error {
		_, err := servedLeaf(addr, implicitTLS, false)
		return err
	}
}

// servedLeaf connects, reads the greeting and returns the leaf certificate
// served: on connect (implicit TLS), after EHLO and STARTTLS (starttls), or
// none. For readiness and Reload only; it judges nothing.
func servedLeaf(addr string, implicitTLS, starttls bool) ([]byte, error) {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	var leaf []byte
	handshake := func() error {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true}) // no judgement here
		if err := tc.Handshake(); err != nil {
			return err
		}
		leaf = tc.ConnectionState().PeerCertificates[0].Raw
		c = tc
		return nil
	}
	if implicitTLS {
		if err := handshake(); err != nil {
			return nil, err
		}
	}
	r := bufio.NewReaderSize(c, 4096)
	if err := expectLine(r, "220 "); err != nil {
		return nil, err
	}
	if starttls {
		_, _ = c.Write([]byte("EHLO sandbox.test\r\n"))
		if err := expectLine(r, "250 "); err != nil {
			return nil, err
		}
		_, _ = c.Write([]byte("STARTTLS\r\n"))
		if err := expectLine(r, "220 "); err != nil {
			return nil, err
		}
		if err := handshake(); err != nil {
			return nil, err
		}
	}
	_, _ = c.Write([]byte("QUIT\r\n"))
	return leaf, nil
}

// expectLine reads lines until one starts with prefix; a line that is
// neither that nor a continuation ("ddd-") is an error.
func expectLine(r *bufio.Reader, prefix string) error {
	for i := 0; i < 100; i++ {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, prefix) {
			return nil
		}
		if len(line) < 4 || line[3] != '-' {
			return fmt.Errorf("want %q, got %q", prefix, strings.TrimSpace(line))
		}
	}
	return errors.New("reply too long")
}

// firstPEMCert is the DER of the first certificate in a PEM file.
func firstPEMCert(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("%s: no PEM certificate", path)
		}
		if block.Type == "CERTIFICATE" {
			return block.Bytes, nil
		}
	}
}
