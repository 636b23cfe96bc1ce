package remote

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
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
// x/crypto's knownhosts verifies the key; this parser exists for what that
// package does not tell: which key types the file holds for a host (so that
// only those are offered in the handshake), and which file and line is
// malformed.
type knownHostsLine struct {
	File   string
	Line   int
	Marker string // "", "@cert-authority" or "@revoked"
	Hosts  string // the host-pattern field as written
	Key    ssh.PublicKey
	match  func(host, port string) bool
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
	matcher, err := hostMatcher(l.Hosts)
	if err != nil {
		return l, err
	}
	l.match = matcher
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

// hostMatcher compiles the host-pattern field: a hashed name, or a comma
// list of names with * and ? wildcards, each optionally "[name]:port" and
// optionally negated with "!". A name without a port matches port 22 only;
// a negated match vetoes the whole line (OpenSSH match_hostname()).
func hostMatcher(field string) (func(host, port string) bool, error) {
	if strings.HasPrefix(field, "|") {
		return hashedMatcher(field)
	}
	type pattern struct {
		negate     bool
		host, port string
	}
	var pats []pattern
	for _, p := range strings.Split(field, ",") {
		if p == "" {
			continue
		}
		var pat pattern
		if strings.HasPrefix(p, "!") {
			pat.negate, p = true, p[1:]
		}
		if p == "" {
			return nil, errors.New("host pattern \"!\" negates nothing")
		}
		if strings.HasPrefix(p, "[") {
			h, port, err := net.SplitHostPort(p)
			if err != nil {
				return nil, fmt.Errorf("host pattern %q: want [host]:port", p)
			}
			pat.host, pat.port = h, port
		} else if h, port, err := net.SplitHostPort(p); err == nil {
			pat.host, pat.port = h, port
		} else {
			pat.host, pat.port = p, "22"
		}
		pats = append(pats, pat)
	}
	if len(pats) == 0 {
		return nil, errors.New("empty host pattern")
	}
	return func(host, port string) bool {
		matched := false
		for _, p := range pats {
			if p.port != port || !wildcard(p.host, host) {
				continue
			}
			if p.negate {
				return false
			}
			matched = true
		}
		return matched
	}, nil
}

// hashedMatcher compiles "|1|base64(salt)|base64(HMAC-SHA1(salt, name))",
// where name is "host" for port 22 and "[host]:port" otherwise (OpenSSH
// host_hash()).
func hashedMatcher(field string) (func(host, port string) bool, error) {
	parts := strings.Split(field, "|")
	if len(parts) != 4 || parts[1] != "1" {
		return nil, fmt.Errorf("hashed host %q: want |1|salt|hash", field)
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[2])
	sum, err2 := base64.StdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(salt) != sha1.Size || len(sum) != sha1.Size {
		return nil, fmt.Errorf("hashed host %q: salt and hash must be 20 bytes of base64", field)
	}
	return func(host, port string) bool {
		mac := hmac.New(sha1.New, salt)
		mac.Write([]byte(knownHostsName(host, port)))
		return hmac.Equal(mac.Sum(nil), sum)
	}, nil
}

// knownHostsName is how OpenSSH writes a host in known_hosts.
func knownHostsName(host, port string) string {
	if port == "22" {
		return host
	}
	return "[" + host + "]:" + port
}

// wildcard matches * (any run, also dots) and ? (one byte), as OpenSSH's
// match_pattern() does.
func wildcard(pat, s string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			for i := 0; i <= len(s); i++ {
				if wildcard(pat[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pat[0] {
				return false
			}
		}
		pat, s = pat[1:], s[1:]
	}
	return s == ""
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
		f, err := os.Open(name)
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

// forHost returns the lines that apply to host:port (revoked ones included).
func (kh *knownHosts) forHost(host, port string) []knownHostsLine {
	var out []knownHostsLine
	for _, l := range kh.Lines {
		if l.Marker == markerRevoked || l.match(host, port) {
			out = append(out, l)
		}
	}
	return out
}

// hostKeyAlgorithms is what to offer in the handshake for host:port: only
// the types known_hosts holds for it, in x/crypto's order of preference.
// Without this, x/crypto negotiates its favourite type, which the file may
// not hold, and reports a mismatch for a host whose other key is known. A
// stored ssh-rsa key stands for rsa-sha2-512 and rsa-sha2-256 (the SHA-1
// ssh-rsa signature is not offered); a matching @cert-authority line admits
// every *-cert-v01@openssh.com type. An unknown host gets nil (x/crypto's
// defaults), so that the UNKNOWN message can show the server's preferred key.
func (kh *knownHosts) hostKeyAlgorithms(host, port string) []string {
	types := map[string]bool{}
	certs := false
	for _, l := range kh.forHost(host, port) {
		switch l.Marker {
		case markerCertAuthority:
			certs = true
		case "":
			types[l.Key.Type()] = true
		}
	}
	if len(types) == 0 && !certs {
		return nil
	}
	var algos []string
	for _, a := range ssh.SupportedAlgorithms().HostKeys {
		if strings.Contains(a, "-cert-v01@") {
			if certs {
				algos = append(algos, a)
			}
			continue
		}
		if types[keyTypeOfAlgorithm(a)] {
			algos = append(algos, a)
		}
	}
	return algos
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
