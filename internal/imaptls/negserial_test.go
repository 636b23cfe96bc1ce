package imaptls

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNegativeSerialParses: a certificate with a negative serial number,
// as openssl makes it (-set_serial -4660), parses (go.mod's godebug
// x509negativeserial=1), as OpenSSL accepts it.
func TestNegativeSerialParses(t *testing.T) {
	dir := t.TempDir()
	key, crt := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem")
	out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", key, "-out", crt, "-subj", "/CN=neg", "-days", "2", "-set_serial", "-4660").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	b, err := os.ReadFile(crt)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("a negative serial must parse as OpenSSL accepts it: %v", err)
	}
	if c.SerialNumber.Sign() >= 0 {
		t.Fatalf("serial %v, want negative", c.SerialNumber)
	}
}
