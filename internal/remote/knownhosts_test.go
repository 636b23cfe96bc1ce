package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func testKey(t testing.TB) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyText(k ssh.PublicKey) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) }

// Every entry form OpenSSH writes or reads, and which host:port each
// matches.
func TestKnownHostsLineForms(t *testing.T) {
	k := keyText(testKey(t))
	hashed := knownhosts.HashHostname("[mail.example.org]:2222")
	hashed22 := knownhosts.HashHostname("mail.example.org")
	cases := []struct {
		line    string
		marker  string
		match   []string // host:port that match
		nomatch []string
	}{
		{line: "mail.example.org " + k, match: []string{"mail.example.org:22"}, nomatch: []string{"mail.example.org:2222", "example.org:22"}},
		{line: "mail.example.org,192.0.2.25 " + k + " root@mail", match: []string{"192.0.2.25:22", "mail.example.org:22"}},
		{line: "[mail.example.org]:2222 " + k, match: []string{"mail.example.org:2222"}, nomatch: []string{"mail.example.org:22"}},
		{line: "[2001:db8::25]:2222 " + k, match: []string{"[2001:db8::25]:2222"}, nomatch: []string{"[2001:db8::25]:22"}},
		{line: "2001:db8::25 " + k, match: []string{"[2001:db8::25]:22"}},
		{line: hashed + " " + k, match: []string{"mail.example.org:2222"}, nomatch: []string{"mail.example.org:22"}},
		{line: hashed22 + " " + k, match: []string{"mail.example.org:22"}, nomatch: []string{"mail.example.org:2222"}},
		{line: "*.example.org,!bad.example.org " + k, match: []string{"mail.example.org:22", "a.b.example.org:22"}, nomatch: []string{"bad.example.org:22", "example.org:22"}},
		{line: "mail?.example.org " + k, match: []string{"mail1.example.org:22"}, nomatch: []string{"mail.example.org:22", "mail12.example.org:22"}},
		{line: "@cert-authority *.example.org " + k, marker: markerCertAuthority, match: []string{"mx.example.org:22"}},
		{line: "@revoked * " + k, marker: markerRevoked},
		{line: "\t mail.example.org\t" + k + "  ", match: []string{"mail.example.org:22"}},
	}
	for _, c := range cases {
		l, err := parseKnownHostsLine(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if l.Marker != c.marker {
			t.Errorf("%q: marker %q", c.line, l.Marker)
		}
		// Which addresses match is x/crypto's verdict (hostKeyVerifier).
		path := filepath.Join(t.TempDir(), "kh")
		writeFile(t, path, c.line+"\n")
		v, err := newHostKeyVerifier([]string{path})
		must(t, err)
		for _, hp := range c.match {
			if len(v.matchingLines(hp)) == 0 {
				t.Errorf("%q should match %s", c.line, hp)
			}
		}
		for _, hp := range c.nomatch {
			if len(v.matchingLines(hp)) != 0 {
				t.Errorf("%q should not match %s", c.line, hp)
			}
		}
	}
}

func TestKnownHostsMalformedLines(t *testing.T) {
	k := keyText(testKey(t))
	fields := strings.Fields(k)
	for line, want := range map[string]string{
		"@bogus host " + k:                        "unknown marker",
		"host ssh-ed25519":                        "fields",
		"host ssh-ed25519 !!!notbase64":           "not base64",
		"host ssh-rsa " + fields[1]:               "key type field says ssh-rsa",
		"host 2048 65537 1234567":                 "SSH-1",
		"!,host " + k:                             "negates nothing",
		"[host " + k:                              "[host]:port",
		"|1|abc|def " + k:                         "20 bytes",
		"|2|" + strings.Repeat("A", 28) + " " + k: "|1|salt|hash",
		"host ssh-ed25519 AAAA":                   "ssh-ed25519 key",
	} {
		_, err := parseKnownHostsLine(line)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want %q, got %v", line, want, err)
		}
	}
	for _, skip := range []string{"", "   ", "# comment", "  # indented comment"} {
		if _, err := parseKnownHostsLine(skip); !errors.Is(err, errNotAnEntry) {
			t.Errorf("%q: %v", skip, err)
		}
	}
}

// A malformed line is named with its file and line; a file of nothing but
// malformed lines (which x/crypto rejects whole) is an error saying where.
func TestKnownHostsFileAndLineOfMalformed(t *testing.T) {
	dir := t.TempDir()
	k := keyText(testKey(t))
	mixed := filepath.Join(dir, "mixed")
	writeFile(t, mixed, "# c\nmail.example.org "+k+"\nbroken line\n")
	kh, err := readKnownHosts([]string{mixed, filepath.Join(dir, "absent")})
	must(t, err)
	if len(kh.Malformed) != 1 || !strings.HasPrefix(kh.Malformed[0].Error(), mixed+":3: ") {
		t.Fatalf("malformed %v", kh.Malformed)
	}
	if len(kh.Missing) != 1 || len(kh.Files) != 1 {
		t.Fatalf("files %v missing %v", kh.Files, kh.Missing)
	}
	bad := filepath.Join(dir, "bad")
	writeFile(t, bad, "\nhost ssh-ed25519 AAAA\n")
	if _, err := newHostKeyVerifier([]string{bad}); err == nil || !strings.Contains(err.Error(), bad+":2:") {
		t.Fatalf("want %s:2 named, got %v", bad, err)
	}
	unreadable := filepath.Join(dir, "dir")
	must(t, os.Mkdir(unreadable, 0o755))
	if _, err := newHostKeyVerifier([]string{unreadable}); err == nil {
		t.Fatal("a directory as known_hosts was accepted")
	}
}

// Only the types known_hosts holds for the host are offered; ssh-rsa stands
// for both SHA-2 signatures; a CA line brings the certificate types; an
// unknown host gets nil.
func TestHostKeyAlgorithms(t *testing.T) {
	dir := t.TempDir()
	ed := keyText(testKey(t))
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	rsaPub, err := ssh.NewPublicKey(&rsaKey.PublicKey)
	must(t, err)
	path := filepath.Join(dir, "kh")
	content := "[mail]:2222 " + ed + "\n@cert-authority *.example.org " + ed + "\nrsahost " + keyText(rsaPub) + "\n"
	writeFile(t, path, content)
	kh, err := newHostKeyVerifier([]string{path})
	must(t, err)
	if got := kh.hostKeyAlgorithms("mail", "2222"); !slices.Equal(got, []string{ssh.KeyAlgoED25519}) {
		t.Errorf("mail:2222: %v", got)
	}
	if got := kh.hostKeyAlgorithms("mail", "22"); got != nil {
		t.Errorf("unknown host must get nil, got %v", got)
	}
	got := kh.hostKeyAlgorithms("mx.example.org", "22")
	if len(got) == 0 || !slices.Contains(got, ssh.CertAlgoED25519v01) || slices.Contains(got, ssh.KeyAlgoED25519) {
		t.Errorf("cert-authority host: %v", got)
	}
	if got := kh.hostKeyAlgorithms("rsahost", "22"); !slices.Equal(got, []string{ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512}) && !slices.Equal(got, []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}) {
		t.Errorf("ssh-rsa: %v", got)
	}
}

// The parser's matching agrees with x/crypto's verifier, which has the last
// word: for each address, the plain lines this parser finds are exactly
// the ones x/crypto lists in its KeyError.
func TestKnownHostsMatchingAgreesWithXCrypto(t *testing.T) {
	k := testKey(t)
	lines := []string{
		"mail.example.org", "[mail.example.org]:2222", "*.example.org,!bad.example.org",
		knownhosts.HashHostname("[mx.example.org]:2200"), knownhosts.HashHostname("mx.example.org"),
		"mail?.example.org", "192.0.2.25,[192.0.2.25]:2222", "[2001:db8::1]:22",
	}
	addrs := []string{"mail.example.org:22", "mail.example.org:2222", "bad.example.org:22", "mx.example.org:2200",
		"mx.example.org:22", "mail1.example.org:22", "192.0.2.25:22", "192.0.2.25:2222", "[2001:db8::1]:22", "other:22"}
	agreeWithXCrypto(t, k, lines, addrs)
}

func agreeWithXCrypto(t testing.TB, k ssh.PublicKey, patterns []string, addrs []string) {
	t.Helper()
	var content strings.Builder
	for _, p := range patterns {
		content.WriteString(p + " " + keyText(k) + "\n")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "kh")
	if err := os.WriteFile(path, []byte(content.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	kh, err := readKnownHosts([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	// Each line alone: this parser refuses exactly the lines x/crypto
	// skips, so every skipped line is reported with its number.
	for i, p := range patterns {
		one := filepath.Join(dir, fmt.Sprint("line", i))
		if err := os.WriteFile(one, []byte(p+" "+keyText(k)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, theirs := knownhosts.New(one)
		_, mine := parseKnownHostsLine(p + " " + keyText(k))
		// One known difference: a hashed name whose salt or hash is not 20
		// bytes, which OpenSSH refuses (extract_salt) and x/crypto keeps
		// but can never match (the HMAC is 20 bytes); the loop below
		// checks that it matches nothing.
		hashedOpenSSHRefuses := mine != nil && theirs == nil && strings.HasPrefix(p, "|")
		if (mine == nil) != (theirs == nil) && !hashedOpenSSHRefuses {
			t.Errorf("hosts field %q: this parser says %v, x/crypto %v", p, mine, theirs)
		}
	}
	v, err := newHostKeyVerifier([]string{path})
	if err != nil {
		return // x/crypto rejects the file whole; nothing to compare
	}
	// Every line x/crypto matches for an address is one this parser read,
	// and an address gets algorithms exactly when some line matches it.
	for _, a := range addrs {
		want := v.matchingLines(a)
		for _, w := range want {
			if _, ok := kh.at(w.Filename, w.Line); !ok {
				t.Errorf("%s: x/crypto matches %s:%d, which this parser refused\n%s", a, w.Filename, w.Line, content.String())
			}
		}
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			continue // not an address a dial makes (x/crypto refuses it)
		}
		if got := v.hostKeyAlgorithms(host, port); (len(got) > 0) != (len(want) > 0) {
			t.Errorf("%s: algorithms %v, but x/crypto matches %d lines\n%s", a, got, len(want), content.String())
		}
	}
}
