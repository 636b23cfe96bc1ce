package remote

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/mailhost-checks/mailchecks/internal/regfile"
)

// PassphraseEnv holds an encrypted key's passphrase when no
// --ssh-key-passphrase-file is given (never argv: ps shows it to everyone).
const PassphraseEnv = "SSH_KEY_PASSPHRASE"

// AuthError is a login the server refused. It is a finding of its own: each
// refused login counts towards the mail host's sshd jail, and a banned
// monitoring host sees nothing at all.
type AuthError struct {
	User, Address string
	Tried         string // "key SHA256:… and 2 agent keys"
	Reason        string
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("SSH auth as %s refused by %s: tried %s (%s); refused logins count towards the mail host's sshd jail and can get this monitoring host banned", e.User, e.Address, e.Tried, e.Reason)
}

// signers collects the key file's signer and the agent's, offered together
// in one publickey method.
type signers struct {
	key       ssh.Signer
	keyFile   string
	agent     []ssh.Signer
	agentConn net.Conn
	notes     []string
}

func (s *signers) all() []ssh.Signer {
	var out []ssh.Signer
	if s.key != nil {
		out = append(out, s.key)
	}
	return append(out, s.agent...)
}

// describe is "key SHA256:… and 2 agent keys", for the refusal message.
func (s *signers) describe() string {
	var parts []string
	if s.key != nil {
		parts = append(parts, fmt.Sprintf("key %s (%s)", ssh.FingerprintSHA256(s.key.PublicKey()), s.keyFile))
	}
	switch n := len(s.agent); {
	case n == 1:
		parts = append(parts, "1 agent key")
	case n > 1:
		parts = append(parts, fmt.Sprintf("%d agent keys", n))
	}
	if len(parts) == 0 {
		return "no key"
	}
	return strings.Join(parts, " and ")
}

func (s *signers) close() {
	if s.agentConn != nil {
		s.agentConn.Close()
	}
}

// loadSigners reads the key file (if any) and asks the agent (if any). An
// agent named with --ssh-agent-socket must answer; one inherited through
// SSH_AUTH_SOCK that does not is only noted.
func loadSigners(cfg SSHConfig) (*signers, error) {
	s := &signers{keyFile: cfg.KeyFile}
	if cfg.KeyFile != "" {
		key, err := loadKey(cfg.KeyFile, cfg.PassphraseFile)
		if err != nil {
			return nil, err
		}
		s.key = key
	}
	sock, explicit := cfg.AgentSocket, cfg.AgentSocket != ""
	if !explicit {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		if err := s.askAgent(sock); err != nil {
			if explicit {
				s.close()
				return nil, err
			}
			s.notes = append(s.notes, "SSH_AUTH_SOCK ignored: "+err.Error())
		}
	}
	if s.key == nil && len(s.agent) == 0 {
		s.close()
		return nil, errors.New("no SSH key to log in with: give --ssh-key, or --ssh-agent-socket of an ssh-agent holding the key")
	}
	return s, nil
}

func (s *signers) askAgent(sock string) error {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return fmt.Errorf("ssh-agent at %s: %v", sock, err)
	}
	list, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		return fmt.Errorf("ssh-agent at %s: %v", sock, err)
	}
	for _, a := range list {
		if s.key != nil && bytes.Equal(a.PublicKey().Marshal(), s.key.PublicKey().Marshal()) {
			continue // the key file's key, already offered
		}
		s.agent = append(s.agent, a)
	}
	s.agentConn = conn
	s.notes = append(s.notes, fmt.Sprintf("ssh-agent at %s holds %d keys", sock, len(list)))
	return nil
}

// loadKey parses an OpenSSH or PEM private key (ed25519, ECDSA, RSA). An
// encrypted one takes its passphrase from passFile or $SSH_KEY_PASSPHRASE.
func loadKey(path, passFile string) (ssh.Signer, error) {
	pem, err := regfile.Read(path, regfile.DefaultMax)
	if err != nil {
		return nil, fmt.Errorf("--ssh-key: %v", err)
	}
	key, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		if err != nil {
			return nil, fmt.Errorf("--ssh-key %s: not a private key ssh can use: %v", path, err)
		}
		return key, nil
	}
	pass, how, err := passphrase(passFile)
	if err != nil {
		return nil, err
	}
	if pass == nil {
		return nil, fmt.Errorf("--ssh-key %s is encrypted: give its passphrase in a file with --ssh-key-passphrase-file or in $%s", path, PassphraseEnv)
	}
	key, err = ssh.ParsePrivateKeyWithPassphrase(pem, pass)
	if errors.Is(err, x509.IncorrectPasswordError) {
		return nil, fmt.Errorf("--ssh-key %s: wrong passphrase (from %s)", path, how)
	}
	if err != nil {
		return nil, fmt.Errorf("--ssh-key %s: %v", path, err)
	}
	return key, nil
}

// passphrase reads the passphrase file (one trailing newline dropped) or
// the environment; nil when neither is set (an empty variable is unset).
func passphrase(passFile string) ([]byte, string, error) {
	if passFile != "" {
		b, err := regfile.Read(passFile, regfile.DefaultMax)
		if err != nil {
			return nil, "", fmt.Errorf("--ssh-key-passphrase-file: %v", err)
		}
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
		return b, passFile, nil
	}
	if v := os.Getenv(PassphraseEnv); v != "" {
		return []byte(v), "$" + PassphraseEnv, nil
	}
	return nil, "", nil
}
