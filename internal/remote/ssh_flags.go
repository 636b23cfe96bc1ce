package remote

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// SSHFlags are the remote-mode flags of check_firewalld_mail and
// check_fail2ban_trusted; embed with `embed:""`. --sudo is not here: each
// plugin already says what it runs through sudo.
type SSHFlags struct {
	SSHHost              string   `name:"ssh-host" placeholder:"HOST" help:"Check the mail host HOST over SSH instead of this machine (host keys are always verified against known_hosts)."`
	SSHPort              int      `name:"ssh-port" default:"22" placeholder:"PORT" help:"SSH port of --ssh-host."`
	SSHUser              string   `name:"ssh-user" placeholder:"USER" help:"SSH user (default: the current user)."`
	SSHKey               string   `name:"ssh-key" placeholder:"FILE" help:"Private key (OpenSSH or PEM; ed25519, ECDSA, RSA). An encrypted key takes its passphrase from --ssh-key-passphrase-file or $SSH_KEY_PASSPHRASE."`
	SSHKeyPassphraseFile string   `name:"ssh-key-passphrase-file" placeholder:"FILE" help:"File holding the passphrase of --ssh-key."`
	SSHAgentSocket       string   `name:"ssh-agent-socket" placeholder:"PATH" help:"ssh-agent socket (default: $SSH_AUTH_SOCK); its keys are offered with --ssh-key's."`
	SSHKnownHosts        []string `name:"ssh-known-hosts" placeholder:"FILE" help:"known_hosts file (repeatable; default: ~/.ssh/known_hosts, then /etc/ssh/ssh_known_hosts)."`
}

// Config is the SSHConfig the flags describe; ok is false without
// --ssh-host (local mode).
func (f SSHFlags) Config() (SSHConfig, bool) {
	if f.SSHHost == "" {
		return SSHConfig{}, false
	}
	return SSHConfig{
		Host:           f.SSHHost,
		Port:           f.SSHPort,
		User:           f.SSHUser,
		KeyFile:        f.SSHKey,
		PassphraseFile: f.SSHKeyPassphraseFile,
		AgentSocket:    f.SSHAgentSocket,
		KnownHosts:     f.SSHKnownHosts,
	}, true
}

// Open returns the host the flags name: Local without --ssh-host, else a
// logged-in SSH connection. closeFn must be called when the check is done.
func (f SSHFlags) Open(ctx context.Context) (host Host, notes []string, closeFn func(), err error) {
	cfg, remote := f.Config()
	if !remote {
		return Local{}, nil, func() {}, nil
	}
	s, err := DialSSH(ctx, cfg)
	if err != nil {
		return nil, nil, func() {}, err
	}
	return s, s.Notes(), func() { s.Close() }, nil
}

// ClientAddress is the address the mail host sees this connection come
// from: the first word of SSH_CLIENT in the remote session, which is the
// monitoring host's egress address after any NAT on the way.
func (s *SSH) ClientAddress(ctx context.Context) (netip.Addr, error) {
	out, err := s.run(ctx, "SSH_CLIENT", `printf '%s\n' "$SSH_CLIENT"`)
	if err != nil {
		return netip.Addr{}, err
	}
	fields := strings.Fields(lastLine(out.Stdout))
	if out.ExitCode != 0 || len(fields) == 0 {
		return netip.Addr{}, fmt.Errorf("SSH_CLIENT is not set in the remote session (exit %d%s); a forced command or a non-POSIX login shell may hide it", out.ExitCode, stderrNote(out.Stderr))
	}
	addr, err := netip.ParseAddr(fields[0])
	if err != nil {
		return netip.Addr{}, fmt.Errorf("SSH_CLIENT of the remote session is %q, not an address", fields[0])
	}
	return addr.Unmap(), nil
}

// lastLine skips whatever a login shell printed before the answer.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return lines[len(lines)-1]
}

// SSHClientKeyword is the --ip value that stands for ClientAddress.
const SSHClientKeyword = "ssh-client"

// ResolveSSHClient replaces SSHClientKeyword in ips by the address the mail
// host sees this connection come from; note says what it resolved to, for
// the output. It is an error without an SSH connection.
func ResolveSSHClient(ctx context.Context, host Host, ips []string) (out []string, note string, err error) {
	for _, ip := range ips {
		if ip != SSHClientKeyword {
			out = append(out, ip)
			continue
		}
		s, ok := host.(interface {
			ClientAddress(context.Context) (netip.Addr, error)
		})
		if !ok {
			return nil, "", fmt.Errorf("--ip=%s needs --ssh-host: it is the address the mail host sees the SSH connection come from", SSHClientKeyword)
		}
		addr, err := s.ClientAddress(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("--ip=%s: %v", SSHClientKeyword, err)
		}
		out = append(out, addr.String())
		note = fmt.Sprintf("--ip=%s is %s (SSH_CLIENT of the session on the mail host: this monitoring host's address as the mail host sees it)", SSHClientKeyword, addr)
	}
	return out, note, nil
}
