package remote

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/mailhost-checks/mailchecks/internal/regfile"
)

// knownHostsLine is one entry of a known_hosts file, in any of the forms
// OpenSSH writes or reads (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
//
//	mail.example.org,192.0.2.25 ssh-ed25519 AAAA… comment
//	[mail.example.org]:2222 ecdsa-sha2-nistp256 AAAA…
//	|1|salt|hash ssh-rsa AAAA…              (HashKnownHosts yes)
//	@cert-authority *.example.org ssh-ed25519 AAAA…
//	@revoked * ssh-ed25519 AAAA…
//	*.example.org,!bad.example.org ssh-ed25519 AAAA…
//
// x/crypto's knownhosts verifies the key and decides which lines match a
// host (hostKeyVerifier); this parser exists for what that package does not
// tell: which file and line is malformed, and which matching line is an
// @cert-authority line.
type knownHostsLine struct {
	File   string
	Line   int
	Marker string // "", "@cert-authority" or "@revoked"
	Hosts  string // the host-pattern field as written
	Key    ssh.PublicKey
}

const (
	markerCertAuthority = "@cert-authority"
	markerRevoked       = "@revoked"
)

// errNotAnEntry is returned for blank and comment lines.
var errNotAnEntry = errors.New("not an entry")

// parseKnownHostsLine parses one line (without its newline).
func parseKnownHostsLine(text string) (knownHostsLine, error) {
	var l knownHostsLine
	fields := strings.Fields(text)
	if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
		return l, errNotAnEntry
	}
	if strings.HasPrefix(fields[0], "@") {
		if fields[0] != markerCertAuthority && fields[0] != markerRevoked {
			return l, fmt.Errorf("unknown marker %q (want @cert-authority or @revoked)", fields[0])
		}
		l.Marker, fields = fields[0], fields[1:]
	}
	if len(fields) < 3 {
		return l, fmt.Errorf("want %q, got %d fields", "[marker] hosts keytype base64-key [comment]", len(fields))
	}
	if isDecimal(fields[1]) {
		return l, errors.New("an SSH-1 RSA key (bits exponent modulus); SSH-1 is not supported")
	}
	l.Hosts = fields[0]
	if err := checkHostPatterns(l.Hosts); err != nil {
		return l, err
	}
	blob, err := base64.StdEncoding.DecodeString(fields[2])
	if err != nil {
		return l, fmt.Errorf("key is not base64: %v", err)
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return l, fmt.Errorf("%s key: %v", fields[1], err)
	}
	if key.Type() != fields[1] {
		return l, fmt.Errorf("key type field says %s, the key is %s", fields[1], key.Type())
	}
	l.Key = key
	return l, nil
}

func isDecimal(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// checkHostPatterns refuses the host-pattern fields that x/crypto's
// knownhosts skips (newHostnameMatcher, newHashedHost), so that a skipped
// line is reported with its number: a hashed name that is not
// |1|salt|hash, a "!" that negates nothing, a "[" that is not [host]:port.
// Which lines match a host is x/crypto's to say (hostKeyVerifier).
func checkHostPatterns(field string) error {
	if strings.HasPrefix(field, "|") {
		return checkHashedHost(field)
	}
	for _, p := range strings.Split(field, ",") {
		if p == "" {
			continue
		}
		p = strings.TrimPrefix(p, "!")
		if p == "" {
			return errors.New("host pattern \"!\" negates nothing")
		}
		if strings.HasPrefix(p, "[") {
			if _, _, err := net.SplitHostPort(p); err != nil {
				return fmt.Errorf("host pattern %q: want [host]:port", p)
			}
		}
	}
	return nil
}

// checkHashedHost checks "|1|base64(salt)|base64(HMAC-SHA1(salt, name))"
// (OpenSSH host_hash()).
func checkHashedHost(field string) error {
	parts := strings.Split(field, "|")
	if len(parts) != 4 || parts[1] != "1" {
		return fmt.Errorf("hashed host %q: want |1|salt|hash", field)
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	sum, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(salt) != sha1.Size || len(sum) != sha1.Size {
		return fmt.Errorf("hashed host %q: salt and hash must be 20 bytes of base64", field)
	}
	return nil
}

// knownHostsName is how OpenSSH writes a host in known_hosts.
func knownHostsName(host, port string) string {
	if port == "22" {
		return host
	}
	return "[" + host + "]:" + port
}

// knownHosts is every parsed line of the known_hosts files, and every line
// that could not be parsed.
type knownHosts struct {
	Files     []string // the files that exist and were read
	Missing   []string // named files that do not exist
	Lines     []knownHostsLine
	Malformed []error // "FILE:LINE: reason"
}

// readKnownHosts reads the files in order. A file that does not exist is
// noted (the default list names two; usually only one exists); one that
// cannot be read is an error.
func readKnownHosts(files []string) (*knownHosts, error) {
	kh := &knownHosts{}
	for _, name := range files {
		f, err := regfile.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			kh.Missing = append(kh.Missing, name)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("known_hosts: %v", err)
		}
		err = kh.read(f, name)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("known_hosts %s: %v", name, err)
		}
		kh.Files = append(kh.Files, name)
	}
	return kh, nil
}

func (kh *knownHosts) read(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		l, err := parseKnownHostsLine(string(bytes.TrimRight(sc.Bytes(), "\r")))
		switch {
		case errors.Is(err, errNotAnEntry):
		case err != nil:
			kh.Malformed = append(kh.Malformed, fmt.Errorf("%s:%d: %v", name, n, err))
		default:
			l.File, l.Line = name, n
			kh.Lines = append(kh.Lines, l)
		}
	}
	return sc.Err()
}

// at finds the parsed line FILE:LINE.
func (kh *knownHosts) at(file string, line int) (knownHostsLine, bool) {
	for _, l := range kh.Lines {
		if l.File == file && l.Line == line {
			return l, true
		}
	}
	return knownHostsLine{}, false
}

// keyTypeOfAlgorithm maps a signature algorithm to the key type stored in
// known_hosts.
func keyTypeOfAlgorithm(algo string) string {
	switch algo {
	case ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512:
		return ssh.KeyAlgoRSA
	}
	return algo
}
