package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// pathLab is the real Dovecot servers of the issue-16 cases: two
// certificates per server, extra served certificates, odd leaves and
// short lifetimes. Every server runs the installed Dovecot.
type pathLab struct {
	root    *sandbox.CA
	servers map[string]*sandbox.Dovecot
}

// pathServer is what one Dovecot serves.
type pathServer struct {
	cert, alt   *sandbox.Issued // alt: the second certificate, of the other key type
	chainPath   string          // "": cert.ChainPath
	minProtocol string
}

func newPathLab(t *testing.T) *pathLab {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	root, err := sandbox.NewRootCA(dir, "Mailchecks Path Root")
	must(err)
	issue := func(name string, l sandbox.Leaf) *sandbox.Issued {
		t.Helper()
		l.CommonName, l.DNSNames, l.IPs = names.CommonName, names.DNSNames, names.IPs
		is, err := root.Issue(name, l)
		must(err)
		return is
	}
	// A certificate of the given lifetime with left to run.
	lived := func(name string, lifetime, left time.Duration) *sandbox.Issued {
		return issue(name, sandbox.Leaf{NotBefore: now.Add(left - lifetime), NotAfter: now.Add(left)})
	}
	expired := sandbox.Leaf{NotBefore: now.AddDate(0, 0, -90), NotAfter: now.AddDate(0, 0, -3)}
	rsa := func(l sandbox.Leaf) sandbox.Leaf { l.Key = "RSA:2048"; return l }
	servers := map[string]pathServer{
		"dual good":                {cert: issue("dual-good-rsa", rsa(sandbox.Leaf{})), alt: issue("dual-good-ec", sandbox.Leaf{})},
		"dual, ECDSA expired":      {cert: issue("ec-exp-rsa", rsa(sandbox.Leaf{})), alt: issue("ec-exp-ec", expired)},
		"dual, RSA expired":        {cert: issue("rsa-exp-rsa", rsa(expired)), alt: issue("rsa-exp-ec", sandbox.Leaf{})},
		"dual, TLS 1.3 only":       {cert: issue("tls13-rsa", rsa(sandbox.Leaf{})), alt: issue("tls13-ec", sandbox.Leaf{}), minProtocol: "TLSv1.3"},
		"RSA only":                 {cert: issue("rsa-only", rsa(sandbox.Leaf{}))},
		"ECDSA only":               {cert: issue("ec-only", sandbox.Leaf{})},
		"anyExtendedKeyUsage only": {cert: issue("anyeku", sandbox.Leaf{ExtKeyUsage: "anyExtendedKeyUsage"})},
		"negative serial":          {cert: issue("negserial", sandbox.Leaf{Serial: "-4660", NotAfter: now.AddDate(1, 0, 0)})},
		"6-day, 3 days left":       {cert: lived("6d-ok", 6*24*time.Hour, 3*24*time.Hour)},
		"6-day, 10 hours left":     {cert: lived("6d-late", 6*24*time.Hour, 10*time.Hour)},
		"45-day, 16 days left":     {cert: lived("45d-ok", 45*24*time.Hour, 16*24*time.Hour)},
		"45-day, 4 days left":      {cert: lived("45d-late", 45*24*time.Hour, 4*24*time.Hour)},
		"90-day, 25 days left":     {cert: lived("90d-ok", 90*24*time.Hour, 25*24*time.Hour)},
		"90-day, 8 days left":      {cert: lived("90d-late", 90*24*time.Hour, 8*24*time.Hour)},
		"397-day, 10 days left":    {cert: lived("397d-late", 397*24*time.Hour, 10*24*time.Hour)},
	}
	// The AddTrust shape: the leaf's issuer is signed by the trusted root,
	// and the server also sends an expired cross-certificate of that root
	// by an old root nobody trusts any more. (A SHA-1-signed one cannot be
	// served by Dovecot: its OpenSSL refuses the chain at security level 2;
	// internal/imaptls's TestOffPathNotJudged covers that shape.)
	inter, err := root.NewIntermediate("Mailchecks Path Intermediate")
	must(err)
	oldRoot, err := sandbox.NewRootCA(dir, "Mailchecks Retired Root")
	must(err)
	cross := filepath.Join(dir, "cross.pem")
	must(oldRoot.CrossSign(root, cross, now.AddDate(-8, 0, 0), now.AddDate(0, 0, -30), ""))
	leaf, err := inter.Issue("cross-leaf", names)
	must(err)
	crossChain := filepath.Join(dir, "cross-chain.pem")
	must(concat(crossChain, leaf.ChainPath, cross))
	servers["expired cross-certificate served"] = pathServer{cert: leaf, chainPath: crossChain}

	opts := map[string]sandbox.DovecotOptions{}
	for name, ps := range servers {
		o := sandbox.DovecotOptions{CertPath: ps.cert.ChainPath, KeyPath: ps.cert.KeyPath, MinProtocol: ps.minProtocol}
		if ps.chainPath != "" {
			o.CertPath = ps.chainPath
		}
		if ps.alt != nil {
			o.AltCertPath, o.AltKeyPath = ps.alt.ChainPath, ps.alt.KeyPath
		}
		opts[name] = o
	}
	started, err := sandbox.StartDovecots(opts)
	must(err)
	for _, d := range started {
		t.Cleanup(d.Stop)
	}
	l := &pathLab{root: root, servers: started}
	return l
}

func concat(out string, files ...string) error {
	var b []byte
	for _, f := range files {
		c, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		b = append(b, c...)
	}
	return os.WriteFile(out, b, 0o644)
}

func (l *pathLab) args(name string, more ...string) []string {
	return append([]string{"-H", "127.0.0.2", "-p", strconv.Itoa(l.servers[name].IMAPSPort), "--ca-file", l.root.CertPath, "-t", "5"}, more...)
}

// TestCertificatesClientsMayBeServed: every certificate a client may be
// served is judged, each beside openssl s_client's verdict (OpenSSL's
// client prefers ECDSA); only the verified path is judged; short-lived
// certificates renewing on schedule are OK under the default thresholds.
func TestCertificatesClientsMayBeServed(t *testing.T) {
	l := newPathLab(t)
	cases := []struct {
		server         string
		opensslRefuses bool
		code           int
		want, not      []string
		args           []string
	}{
		{server: "dual good", code: 0,
			want: []string{"[OK] certificate: the ECDSA certificate (served to clients that prefer ECDSA, OpenSSL's default): chain trusted",
				"[OK] certificate: the RSA certificate (served to clients that prefer RSA, such as Go's and this check's): chain trusted"}},
		{server: "dual, ECDSA expired", opensslRefuses: true, code: 2,
			want: []string{"CRITICAL: certificate: the ECDSA certificate (served to clients that prefer ECDSA, OpenSSL's default): certificate \"CN=localhost\" (87-day certificate) expired on", "(3 days ago)",
				"[OK] certificate: the RSA certificate"}},
		{server: "dual, RSA expired", opensslRefuses: false, code: 2,
			want: []string{"CRITICAL: certificate: the RSA certificate (served to clients that prefer RSA, such as Go's and this check's): certificate \"CN=localhost\" (87-day certificate) expired on"},
			not:  []string{"the ECDSA certificate (served to clients that prefer ECDSA, OpenSSL's default): certificate \"CN=localhost\" (87-day"}},
		{server: "dual good", code: 0, args: []string{"--no-all-certificates"},
			not: []string{"ECDSA certificate"}},
		{server: "dual, ECDSA expired", opensslRefuses: true, code: 0, args: []string{"--no-all-certificates"}, // what one handshake sees: the issue's false OK
			not: []string{"ECDSA"}},
		{server: "dual, TLS 1.3 only", code: 0,
			want: []string{"the server speaks only TLS 1.3, where a client cannot ask for a key type: if it also has an ECDSA certificate, that one was not checked"}},
		{server: "expired cross-certificate served", code: 0, args: []string{"-v"},
			want: []string{"chain trusted (localhost <- Mailchecks Path Intermediate <- Mailchecks Path Root)",
				"served but not in the path clients verify (not judged): subject \"CN=Mailchecks Path Root,O=mailchecks test\", issuer \"CN=Mailchecks Retired Root"},
			not: []string{"expired on", "Retired Root\" ("}},
		{server: "RSA only", code: 0, want: []string{"no ECDSA certificate: the server has one certificate for every client"}},
		{server: "ECDSA only", code: 0, want: []string{"no RSA certificate: the server has one certificate for every client"}},
		{server: "anyExtendedKeyUsage only", opensslRefuses: true, code: 2,
			want: []string{"CRITICAL: certificate: the leaf's extendedKeyUsage is anyExtendedKeyUsage without serverAuth", "unsuitable certificate purpose", "extendedKeyUsage = serverAuth"}},
		{server: "negative serial", code: 0, want: []string{"OK: IMAPS"}},
		{server: "6-day, 3 days left", code: 0, want: []string{"OK: IMAPS", "6-day certificate, 2 days 23 hours left"}},
		{server: "6-day, 10 hours left", code: 2, want: []string{"CRITICAL: certificate: certificate \"CN=localhost\" (6-day certificate) expires in 9 hours", "below -c 10% of the lifetime, at most 14 days = 14 hours"}},
		{server: "45-day, 16 days left", code: 0, want: []string{"45-day certificate, 15 days left"}},
		{server: "45-day, 4 days left", code: 2, want: []string{"(45-day certificate) expires in 3 days 23 hours"}},
		{server: "90-day, 25 days left", code: 0, want: []string{"90-day certificate, 24 days left"}},
		{server: "90-day, 8 days left", code: 2, want: []string{"(90-day certificate) expires in 7 days 23 hours"}},
		{server: "397-day, 10 days left", code: 2, want: []string{"(397-day certificate) expires in 9 days 23 hours", "below -c 10% of the lifetime, at most 14 days = 14 days"}},
		{server: "6-day, 10 hours left", code: 0, args: []string{"-w", "8h", "-c", "5%"}, want: []string{"6-day certificate, 9 hours left"}},
		{server: "90-day, 25 days left", code: 1, args: []string{"-w", "30%"}, want: []string{"WARNING: certificate: certificate \"CN=localhost\" (90-day certificate) expires in 24 days", "below -w 30% = 27 days"}},
	}
	for _, c := range cases {
		t.Run(c.server+" "+strings.Join(c.args, " "), func(t *testing.T) {
			d := l.servers[c.server]
			if len(c.args) == 0 || c.args[0] != "-w" {
				refused, why := opensslVerdict(t, d.IMAPSPort, l.root.CertPath)
				if refused != c.opensslRefuses {
					t.Errorf("openssl s_client refused: %v, the case says %v (%s)", refused, c.opensslRefuses, why)
				}
			}
			out := expect(t, c.code, c.want, l.args(c.server, c.args...)...)
			for _, n := range c.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q", n)
				}
			}
			icingaPerf(t, out)
			if c.opensslRefuses && c.code == 0 && !slicesContains(c.args, "--no-all-certificates") {
				t.Error("OK where the reference client refuses")
			}
		})
	}
	// The second handshake repeats the plain dialogue up to STARTTLS, so
	// port 143 is judged as port 993 is.
	t.Run("dual certificates over STARTTLS", func(t *testing.T) {
		args := func(name string) []string {
			return []string{"-H", "127.0.0.2", "-p", strconv.Itoa(l.servers[name].IMAPPort), "--starttls", "--ca-file", l.root.CertPath, "-t", "5"}
		}
		expect(t, 2, []string{"CRITICAL: certificate: the ECDSA certificate (served to clients that prefer ECDSA, OpenSSL's default): certificate \"CN=localhost\" (87-day certificate) expired on"}, args("dual, ECDSA expired")...)
		expect(t, 0, []string{"OK: IMAP STARTTLS", "[OK] certificate: the ECDSA certificate", "[OK] certificate: the RSA certificate"}, args("dual good")...)
	})
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
