package remote

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyProblem says how a host key failed verification.
type HostKeyProblem int

const (
	// HostUnknown: known_hosts has no key for the host (UNKNOWN: nothing
	// was checked, and the operator must add the key after checking it).
	HostUnknown HostKeyProblem = iota + 1
	// HostKeyChanged: known_hosts has another key for the host (CRITICAL:
	// possibly a man in the middle).
	HostKeyChanged
	// HostKeyRevoked: the key is marked @revoked (CRITICAL).
	HostKeyRevoked
)

// HostKeyError is a host key that failed verification. There is no way to
// skip verification: a check that talks to an unverified host has not
// verified anything.
type HostKeyError struct {
	Problem     HostKeyProblem
	Address     string   // host:port as dialled
	KeyType     string   // the key the server presented
	Fingerprint string   // SHA256:…
	Lines       []string // FILE:LINE entries that disagree (changed) or revoke it
	File        string   // the known_hosts file to add an unknown key to
	Detail      string   // x/crypto's reason for other rejections (certificates)
}

func (e *HostKeyError) Error() string {
	switch e.Problem {
	case HostUnknown:
		return fmt.Sprintf("host key of %s is unknown (%s %s)", e.Address, e.KeyType, e.Fingerprint)
	case HostKeyRevoked:
		return fmt.Sprintf("host key of %s is revoked (%s %s, %s)", e.Address, e.KeyType, e.Fingerprint, strings.Join(e.Lines, ", "))
	}
	msg := fmt.Sprintf("host key changed: possible man in the middle: %s presented %s %s", e.Address, e.KeyType, e.Fingerprint)
	if len(e.Lines) > 0 {
		msg += ", known_hosts has another key at " + strings.Join(e.Lines, ", ")
	}
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Fix is what the operator runs for the problem.
func (e *HostKeyError) Fix() string {
	host, port, _ := net.SplitHostPort(e.Address)
	switch e.Problem {
	case HostUnknown:
		return fmt.Sprintf("check that %s is the mail host's key (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub on the mail host), then: ssh-keyscan -p %s %s >> %s",
			e.Fingerprint, keyFileType(e.KeyType), port, host, e.File)
	case HostKeyRevoked:
		return "find out why the key was revoked; the mail host needs a new host key"
	}
	return fmt.Sprintf("find out why the key changed; only if the change is known to be legitimate: ssh-keygen -f %s -R %s, then add the new key after checking its fingerprint", e.File, knownHostsName(host, port))
}

// keyFileType names the host key file sshd keeps a type in.
func keyFileType(keyType string) string {
	switch {
	case strings.Contains(keyType, "ed25519"):
		return "ed25519"
	case strings.Contains(keyType, "ecdsa"):
		return "ecdsa"
	case strings.Contains(keyType, "rsa"):
		return "rsa"
	}
	return "*"
}

// hostKeyVerifier checks the server's key with x/crypto's knownhosts and
// turns its verdict into a HostKeyError that names files and lines.
type hostKeyVerifier struct {
	kh       *knownHosts
	check    ssh.HostKeyCallback
	addFile  string // where a new key should go
	err      error  // the last rejection, for the handshake's error
	accepted ssh.PublicKey
}

func newHostKeyVerifier(files []string) (*hostKeyVerifier, error) {
	kh, err := readKnownHosts(files)
	if err != nil {
		return nil, err
	}
	// x/crypto rejects a file whose lines are all malformed; it skips
	// single bad lines, which readKnownHosts has noted with their numbers.
	check, err := knownhosts.New(kh.Files...)
	if err != nil {
		if len(kh.Malformed) > 0 {
			return nil, fmt.Errorf("known_hosts: %v", kh.Malformed[0])
		}
		return nil, fmt.Errorf("known_hosts: %v", err)
	}
	v := &hostKeyVerifier{kh: kh, check: check, addFile: files[0]}
	return v, nil
}

// defaultKnownHosts is OpenSSH's UserKnownHostsFile, then its
// GlobalKnownHostsFile.
func defaultKnownHosts() []string {
	var files []string
	if home, err := os.UserHomeDir(); err == nil {
		files = append(files, filepath.Join(home, ".ssh", "known_hosts"))
	}
	return append(files, "/etc/ssh/ssh_known_hosts")
}

func (v *hostKeyVerifier) callback(address string, remote net.Addr, key ssh.PublicKey) error {
	err := v.check(address, remote, key)
	if err == nil {
		v.accepted = key
		return nil
	}
	hk := &HostKeyError{Address: address, KeyType: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), File: v.addFile}
	var keyErr *knownhosts.KeyError
	var revoked *knownhosts.RevokedError
	switch {
	case errors.As(err, &revoked):
		hk.Problem = HostKeyRevoked
		hk.Lines = []string{fmt.Sprintf("@revoked at %s:%d", revoked.Revoked.Filename, revoked.Revoked.Line)}
	case errors.As(err, &keyErr) && len(keyErr.Want) == 0:
		hk.Problem = HostUnknown
	case errors.As(err, &keyErr):
		hk.Problem = HostKeyChanged
		hk.Lines = disagreeing(keyErr.Want, key)
		hk.File = keyErr.Want[0].Filename
	default:
		// A certificate whose authority known_hosts does not list for
		// the host, or an expired one: the host offered an identity
		// the file does not vouch for.
		hk.Problem = HostKeyChanged
		hk.Detail = err.Error()
	}
	v.err = hk
	return hk
}

// disagreeing names the known_hosts lines of the presented key's type (the
// ones that disagree); all lines when none has that type.
func disagreeing(want []knownhosts.KnownKey, key ssh.PublicKey) []string {
	var same, all []string
	for _, w := range want {
		at := fmt.Sprintf("%s:%d (%s %s)", w.Filename, w.Line, w.Key.Type(), ssh.FingerprintSHA256(w.Key))
		all = append(all, at)
		if w.Key.Type() == key.Type() {
			same = append(same, at)
		}
	}
	if len(same) > 0 {
		return same
	}
	return all
}

// notes says what known_hosts held, for -v and for error messages.
func (v *hostKeyVerifier) notes() []string {
	var out []string
	if len(v.kh.Files) > 0 {
		out = append(out, "known_hosts read: "+strings.Join(v.kh.Files, ", "))
	}
	if len(v.kh.Missing) > 0 {
		out = append(out, "known_hosts absent: "+strings.Join(v.kh.Missing, ", "))
	}
	for _, m := range v.kh.Malformed {
		out = append(out, "known_hosts line skipped (malformed): "+m.Error())
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
//
// Which lines match is x/crypto's verdict, not a second matcher's: a fresh
// key that no line holds is checked for the address, and the KeyError
// lists every line that matches it (knownhosts checkAddr).
func (v *hostKeyVerifier) hostKeyAlgorithms(host, port string) []string {
	types := map[string]bool{}
	certs := false
	for _, w := range v.matchingLines(net.JoinHostPort(host, port)) {
		if l, ok := v.kh.at(w.Filename, w.Line); ok && l.Marker == markerCertAuthority {
			certs = true
			continue
		}
		types[w.Key.Type()] = true
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

// matchingLines asks x/crypto which known_hosts lines (plain and
// @cert-authority) name address.
func (v *hostKeyVerifier) matchingLines(address string) []knownhosts.KnownKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil
	}
	var keyErr *knownhosts.KeyError
	if err := v.check(address, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 22}, probe); errors.As(err, &keyErr) {
		return keyErr.Want
	}
	return nil
}
