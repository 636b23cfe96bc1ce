package sandbox

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CA is a throw-away certificate authority made with the openssl command line,
// the way an operator would make one, so the tests exercise certificates the
// real tool chain produced rather than ones Go's x509 package wrote for itself.
//
// It uses `openssl ca` (not `openssl x509 -req`) because OpenSSL 3.0, Debian
// 12's version, can only set arbitrary validity windows there (-startdate,
// -enddate): that is how the tests get expired and not-yet-valid certificates.
type CA struct {
	Name     string
	Dir      string
	CertPath string // PEM, this CA's certificate
	KeyPath  string
	parent   *CA
	serial   int
	digest   string // for the next sign only; "" is sha256
}

// Leaf describes a certificate to issue.
type Leaf struct {
	CommonName string
	DNSNames   []string
	IPs        []string
	NotBefore  time.Time // zero: one hour ago
	NotAfter   time.Time // zero: in 365 days
	// Key is the key type as `openssl genpkey -algorithm` spells it with
	// options: "" is EC P-256; "RSA:1024", "RSA:2048", "DSA:2048".
	Key string
	// KeyUsage replaces "critical,digitalSignature,keyEncipherment".
	KeyUsage string
	// Digest signs with another digest than sha256 (e.g. "sha1").
	Digest string
	// ExtKeyUsage replaces "serverAuth" (e.g. "anyExtendedKeyUsage").
	ExtKeyUsage string
	// Serial, when set, is the serial number in decimal, negative ones
	// included (old private CAs issued those); the certificate is then
	// signed with `openssl x509 -req -set_serial`, which takes a sign where
	// `openssl ca` does not, valid from now until NotAfter.
	Serial string
}

// Issued is a certificate written to disk by CA.Issue.
type Issued struct {
	CertPath  string // the certificate alone
	ChainPath string // certificate followed by the intermediates up to (excluding) the root
	KeyPath   string
}

// NewRootCA creates a self-signed root under dir/name, valid from ten years
// ago (roots in the wild are old: an expired leaf must still chain to a root
// that was valid while the leaf was) to ten years from now.
func NewRootCA(dir, name string) (*CA, error) { return NewRootCAWithKey(dir, name, "") }

// NewRootCAWithKey is NewRootCA with a key type as Leaf.Key spells it.
func NewRootCAWithKey(dir, name, key string) (*CA, error) {
	ca, err := newCADir(dir, name)
	if err != nil {
		return nil, err
	}
	csr := filepath.Join(ca.Dir, "req.csr")
	if err := newKeyAndCSR(key, ca.KeyPath, csr, "/O=mailchecks test/CN="+name); err != nil {
		return nil, err
	}
	ext := "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"
	if err := ca.sign(csr, ca.CertPath, ext, time.Now().AddDate(-10, 0, 0), time.Now().AddDate(10, 0, 0)); err != nil {
		return nil, err
	}
	return ca, nil
}

// NewIntermediate creates a CA signed by ca (path length 0).
func (ca *CA) NewIntermediate(name string) (*CA, error) {
	sub, err := newCADir(filepath.Dir(ca.Dir), name)
	if err != nil {
		return nil, err
	}
	sub.parent = ca
	csr := filepath.Join(sub.Dir, "req.csr")
	if _, err := Run(context.Background(), nil, "openssl", "req", "-new", "-nodes",
		"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
		"-keyout", sub.KeyPath, "-out", csr, "-subj", "/O=mailchecks test/CN="+name); err != nil {
		return nil, err
	}
	ext := "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n" +
		"subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
	if err := ca.sign(csr, sub.CertPath, ext, time.Now().AddDate(-5, 0, 0), time.Now().AddDate(5, 0, 0)); err != nil {
		return nil, err
	}
	return sub, nil
}

// Issue makes a server certificate and key under this CA's directory.
func (ca *CA) Issue(name string, l Leaf) (*Issued, error) {
	if l.NotBefore.IsZero() {
		l.NotBefore = time.Now().Add(-time.Hour)
	}
	if l.NotAfter.IsZero() {
		l.NotAfter = time.Now().AddDate(1, 0, 0)
	}
	base := filepath.Join(ca.Dir, "issued", name)
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return nil, err
	}
	out := &Issued{CertPath: base + ".crt", ChainPath: base + ".chain.pem", KeyPath: base + ".key"}
	csr := base + ".csr"
	if err := newKeyAndCSR(l.Key, out.KeyPath, csr, "/CN="+l.CommonName); err != nil {
		return nil, err
	}
	var sans []string
	for _, d := range l.DNSNames {
		sans = append(sans, "DNS:"+d)
	}
	for _, ip := range l.IPs {
		if net.ParseIP(ip) == nil {
			return nil, fmt.Errorf("issue %s: %q is not an IP address", name, ip)
		}
		sans = append(sans, "IP:"+ip)
	}
	if l.KeyUsage == "" {
		l.KeyUsage = "critical,digitalSignature,keyEncipherment"
	}
	if l.ExtKeyUsage == "" {
		l.ExtKeyUsage = "serverAuth"
	}
	ext := "basicConstraints=critical,CA:FALSE\nkeyUsage=" + l.KeyUsage + "\n" +
		"extendedKeyUsage=" + l.ExtKeyUsage + "\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
	if len(sans) > 0 {
		ext += "subjectAltName=" + strings.Join(sans, ",") + "\n"
	}
	ca.digest = l.Digest
	defer func() { ca.digest = "" }()
	sign := ca.sign
	if l.Serial != "" {
		sign = func(csr, out, ext string, _, notAfter time.Time) error {
			return ca.signWithSerial(csr, out, ext, l.Serial, notAfter)
		}
	}
	if err := sign(csr, out.CertPath, ext, l.NotBefore, l.NotAfter); err != nil {
		return nil, err
	}
	// The served chain: leaf, then every intermediate, never the root.
	chain, err := os.ReadFile(out.CertPath)
	if err != nil {
		return nil, err
	}
	for c := ca; c.parent != nil; c = c.parent {
		pem, err := os.ReadFile(c.CertPath)
		if err != nil {
			return nil, err
		}
		chain = append(chain, pem...)
	}
	if err := os.WriteFile(out.ChainPath, chain, 0o644); err != nil {
		return nil, err
	}
	return out, nil
}

// newKeyAndCSR makes a key ("" is EC P-256, else "RSA:BITS" or "DSA:BITS")
// and a certificate request for subject.
func newKeyAndCSR(key, keyPath, csr, subject string) error {
	genpkey := []string{"openssl", "genpkey", "-out", keyPath}
	switch alg, bits, _ := strings.Cut(key, ":"); alg {
	case "":
		genpkey = append(genpkey, "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
	case "RSA":
		genpkey = append(genpkey, "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:"+bits)
	case "DSA":
		// DSA needs parameters first; openssl genpkey makes them too.
		params := keyPath + ".params"
		if _, err := Run(context.Background(), nil, "openssl", "genpkey", "-genparam", "-algorithm", "DSA",
			"-pkeyopt", "dsa_paramgen_bits:"+bits, "-out", params); err != nil {
			return err
		}
		genpkey = append(genpkey, "-paramfile", params)
	default:
		return fmt.Errorf("key type %q: want \"\", RSA:BITS or DSA:BITS", key)
	}
	if _, err := Run(context.Background(), nil, genpkey...); err != nil {
		return err
	}
	_, err := Run(context.Background(), nil, "openssl", "req", "-new", "-key", keyPath, "-out", csr, "-subj", subject)
	return err
}

func newCADir(parent, name string) (*CA, error) {
	// The directory is the name without spaces, so paths shown in the demo
	// can be pasted into a shell.
	dir := filepath.Join(parent, strings.ReplaceAll(name, " ", "-"))
	if err := os.MkdirAll(filepath.Join(dir, "newcerts"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "index.txt"), nil, 0o644); err != nil {
		return nil, err
	}
	return &CA{Name: name, Dir: dir, CertPath: filepath.Join(dir, "ca.crt"), KeyPath: filepath.Join(dir, "ca.key")}, nil
}

// sign runs `openssl ca` on csr with the given extensions and validity window.
func (ca *CA) sign(csr, out, ext string, notBefore, notAfter time.Time) error {
	ca.serial++
	// A random-ish serial start keeps certificates from different runs (and
	// the "renewed" copy of a certificate) distinct, as real CAs do.
	serial := fmt.Sprintf("%04X%08X", ca.serial, time.Now().UnixNano()&0xffffffff)
	if err := os.WriteFile(filepath.Join(ca.Dir, "serial"), []byte(serial+"\n"), 0o644); err != nil {
		return err
	}
	conf := filepath.Join(ca.Dir, "ca.cnf")
	cnf := fmt.Sprintf(`[ ca ]
default_ca = local
[ local ]
dir = %s
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[ anything ]
commonName = supplied
organizationName = optional
`, ca.Dir)
	if err := os.WriteFile(conf, []byte(cnf), 0o644); err != nil {
		return err
	}
	extPath := out + ".ext"
	if err := os.WriteFile(extPath, []byte("[ ext ]\n"+ext), 0o644); err != nil {
		return err
	}
	md := "sha256"
	if ca.digest != "" {
		md = ca.digest
	}
	argv := []string{"openssl", "ca", "-batch", "-notext", "-config", conf, "-md", md,
		"-keyfile", ca.KeyPath, "-in", csr, "-out", out,
		"-startdate", opensslTime(notBefore), "-enddate", opensslTime(notAfter),
		"-extfile", extPath, "-extensions", "ext"}
	if out == ca.CertPath {
		argv = append(argv, "-selfsign") // the root: signed by its own key
	} else {
		argv = append(argv, "-cert", ca.CertPath)
	}
	_, err := Run(context.Background(), nil, argv...)
	return err
}

// opensslTime formats t as the ASN.1 GeneralizedTime `openssl ca` accepts.
func opensslTime(t time.Time) string {
	return t.UTC().Format("20060102150405Z")
}

// signWithSerial signs csr with `openssl x509 -req -set_serial`, which
// accepts any serial (negative too), valid from now until notAfter.
func (ca *CA) signWithSerial(csr, out, ext, serial string, notAfter time.Time) error {
	extPath := out + ".ext"
	if err := os.WriteFile(extPath, []byte("[ ext ]\n"+ext), 0o644); err != nil {
		return err
	}
	days := int(time.Until(notAfter).Hours()/24) + 1
	_, err := Run(context.Background(), nil, "openssl", "x509", "-req", "-in", csr, "-out", out,
		"-CA", ca.CertPath, "-CAkey", ca.KeyPath, "-set_serial", serial, "-days", fmt.Sprint(days),
		"-sha256", "-extfile", extPath, "-extensions", "ext")
	return err
}

// CrossSign writes, at out, a certificate for the CA subject (its name and
// key) signed by ca, valid from notBefore to notAfter, with the given digest
// ("" is sha256): a cross-certificate, as the AddTrust and Let's Encrypt
// roots were cross-signed by older roots. Servers often keep sending an
// expired one after the clients' own path no longer goes through it.
func (ca *CA) CrossSign(subject *CA, out string, notBefore, notAfter time.Time, digest string) error {
	ext := "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n" +
		"subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
	ca.digest = digest
	defer func() { ca.digest = "" }()
	return ca.sign(filepath.Join(subject.Dir, "req.csr"), out, ext, notBefore, notAfter)
}
