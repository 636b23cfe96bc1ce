package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SSHD is a private OpenSSH server on 127.0.0.1 and a high port: its own
// host keys, its own authorized_keys, no PAM, no pid file. Sessions log in as
// the user running the tests (root here) and see the sandboxed daemons'
// addresses through one SetEnv line.
type SSHD struct {
	Dir            string
	Port           int
	HostKeys       map[string]string // key type ("ed25519", "ecdsa", "rsa") -> private key path
	AuthorizedKeys string            // path; AddAuthorizedKey appends to it
	proc           *Process
}

// SSHDOptions shape the server.
type SSHDOptions struct {
	HostKeyTypes []string // default: ed25519
	// Env is passed to every session (sshd_config SetEnv; sshd honours only
	// the first SetEnv line, so all variables go on one, after HOME).
	Env []string
	// NoStreamLocal refuses forwarding to unix sockets
	// (AllowStreamLocalForwarding no), as a locked-down mail host might.
	NoStreamLocal bool
	// Extra sshd_config lines.
	Extra string
	// Bashrc, when set, is the sessions' ~/.bashrc, which Debian's bash
	// reads first when sshd starts it for a command: to print a greeting or
	// noise as some mail hosts' shells do.
	Bashrc string
	// PreStart runs once the host keys exist (type -> private key path),
	// before sshd reads its config, and returns more sshd_config lines: to
	// sign a host certificate and name it, say.
	PreStart func(hostKeys map[string]string) (string, error)
}

// StartSSHD generates host keys under dir, writes sshd_config and starts
// `sshd -D -e -f CONF`, returning once it accepts connections.
func StartSSHD(dir string, opt SSHDOptions) (*SSHD, error) {
	if err := RequireRoot("sshd"); err != nil {
		return nil, err
	}
	for _, bin := range []string{"/usr/sbin/sshd", "/usr/bin/ssh-keygen"} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("sshd sandbox: %v (install openssh-server and openssh-client with `make deps`, as root)", err)
		}
	}
	// sshd refuses to start without its privilege separation directory,
	// which Debian creates only in the systemd unit.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	types := opt.HostKeyTypes
	if len(types) == 0 {
		types = []string{"ed25519"}
	}
	s := &SSHD{Dir: dir, HostKeys: map[string]string{}, AuthorizedKeys: filepath.Join(dir, "authorized_keys")}
	var conf strings.Builder
	for _, t := range types {
		path, err := GenerateSSHKey(filepath.Join(dir, "host_"+t), t, "")
		if err != nil {
			return nil, err
		}
		s.HostKeys[t] = path
		fmt.Fprintf(&conf, "HostKey %s\n", path)
	}
	if opt.PreStart != nil {
		extra, err := opt.PreStart(s.HostKeys)
		if err != nil {
			return nil, err
		}
		conf.WriteString(extra)
	}
	if err := WriteFile(s.AuthorizedKeys, "", 0o600); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s.Port = port
	streamLocal := "yes"
	if opt.NoStreamLocal {
		streamLocal = "no"
	}
	fmt.Fprintf(&conf, `ListenAddress 127.0.0.1:%d
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile %s
AllowTcpForwarding local
AllowStreamLocalForwarding %s
LogLevel VERBOSE
MaxStartups 50:30:100
MaxSessions 50
`, port, s.AuthorizedKeys, streamLocal)
	// Sessions get an empty HOME of their own: the shell sshd starts for
	// every command would otherwise read the test user's ~/.bashrc (on a
	// developer's root, pyenv and the like: 0.25 s per command), which a
	// mail host's monitoring user does not have.
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	if opt.Bashrc != "" {
		if err := WriteFile(filepath.Join(home, ".bashrc"), opt.Bashrc, 0o644); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(&conf, "SetEnv %s\n", strings.Join(append([]string{"HOME=" + home}, opt.Env...), " "))
	conf.WriteString(opt.Extra)
	confPath := filepath.Join(dir, "sshd_config")
	if err := WriteFile(confPath, conf.String(), 0o600); err != nil {
		return nil, err
	}
	// -t first: a config error is then reported as itself, not as a daemon
	// that never listened.
	if out, err := Run(context.Background(), nil, "/usr/sbin/sshd", "-t", "-f", confPath); err != nil {
		return nil, fmt.Errorf("sshd -t: %v: %s", err, out)
	}
	p, err := StartProcess("sshd", filepath.Join(dir, "sshd.log"), nil, "/usr/sbin/sshd", "-D", "-e", "-f", confPath)
	if err != nil {
		return nil, err
	}
	if err := p.WaitFor(10*time.Second, "listening socket", TCPReady(s.Addr())); err != nil {
		p.Stop()
		return nil, err
	}
	s.proc = p
	return s, nil
}

// Addr is 127.0.0.1:PORT.
func (s *SSHD) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// PID is the listener's process ID.
func (s *SSHD) PID() int { return s.proc.PID() }

// Log is the tail of sshd's log.
func (s *SSHD) Log() string { return s.proc.Log() }

// Stop ends the server and every session it forked (one process group).
func (s *SSHD) Stop() {
	if s != nil {
		s.proc.Stop()
	}
}

// AddAuthorizedKey appends a public key line, with options such as
// `restrict,command="…"` in front when given.
func (s *SSHD) AddAuthorizedKey(options, pubKeyPath string) error {
	pub, err := os.ReadFile(pubKeyPath)
	if err != nil {
		return err
	}
	line := strings.TrimSpace(string(pub))
	if options != "" {
		line = options + " " + line
	}
	f, err := os.OpenFile(s.AuthorizedKeys, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, line)
	return err
}

// KnownHostsLine is the known_hosts entry for this server's key of type t,
// as `ssh-keyscan -p PORT 127.0.0.1` would print it.
func (s *SSHD) KnownHostsLine(t string) (string, error) {
	pub, err := os.ReadFile(s.HostKeys[t] + ".pub")
	if err != nil {
		return "", err
	}
	fields := strings.Fields(string(pub))
	if len(fields) < 2 {
		return "", fmt.Errorf("%s.pub: not a public key", s.HostKeys[t])
	}
	return fmt.Sprintf("[127.0.0.1]:%d %s %s", s.Port, fields[0], fields[1]), nil
}

// WriteKnownHosts writes a known_hosts file holding this server's keys of
// the given types (default: all).
func (s *SSHD) WriteKnownHosts(path string, types ...string) error {
	if len(types) == 0 {
		for t := range s.HostKeys {
			types = append(types, t)
		}
	}
	var b strings.Builder
	for _, t := range types {
		l, err := s.KnownHostsLine(t)
		if err != nil {
			return err
		}
		b.WriteString(l + "\n")
	}
	return WriteFile(path, b.String(), 0o644)
}

// GenerateSSHKey runs ssh-keygen for a key of type t ("ed25519", "ecdsa",
// "rsa") at path (path.pub beside it), encrypted when passphrase is set;
// pem selects the old PEM format instead of OpenSSH's.
func GenerateSSHKey(path, t, passphrase string, pem ...bool) (string, error) {
	args := []string{"ssh-keygen", "-q", "-t", t, "-N", passphrase, "-C", "sandbox", "-f", path}
	if t == "rsa" {
		args = append(args, "-b", "2048")
	}
	if len(pem) > 0 && pem[0] {
		args = append(args, "-m", "PEM")
	}
	if _, err := Run(context.Background(), nil, args...); err != nil {
		return "", fmt.Errorf("%v (install openssh-client with `make deps`, as root)", err)
	}
	return path, nil
}

// PluginArgs are the --ssh-* flags that make a plugin check the host behind
// this server, logging in with key and trusting knownHosts.
func (s *SSHD) PluginArgs(key, knownHosts string) []string {
	return []string{"--ssh-host", "127.0.0.1", "--ssh-port", strconv.Itoa(s.Port), "--ssh-user", "root", "--ssh-key", key, "--ssh-known-hosts", knownHosts}
}

// SSHClient is a started SSHD with one authorized key and a known_hosts file
// that trusts every host key: what a plugin test needs to log in.
type SSHClient struct {
	*SSHD
	Key, KnownHosts string
}

// StartSSHDWithClient starts sshd in dir/sshd, authorizes a fresh ed25519
// key and writes known_hosts.
func StartSSHDWithClient(dir string, opt SSHDOptions) (*SSHClient, error) {
	s, err := StartSSHD(filepath.Join(dir, "sshd"), opt)
	if err != nil {
		return nil, err
	}
	c := &SSHClient{SSHD: s, KnownHosts: filepath.Join(dir, "known_hosts")}
	if c.Key, err = GenerateSSHKey(filepath.Join(dir, "client_key"), "ed25519", ""); err == nil {
		if err = s.AddAuthorizedKey("", c.Key+".pub"); err == nil {
			err = s.WriteKnownHosts(c.KnownHosts)
		}
	}
	if err != nil {
		s.Stop()
		return nil, err
	}
	return c, nil
}

// Args are PluginArgs for the client's key and known_hosts.
func (c *SSHClient) Args() []string { return c.PluginArgs(c.Key, c.KnownHosts) }

// WaitNoProcessWithArg waits until no process on this machine has arg as
// one of its command-line words: how a test proves that a hung remote
// command (behind the sandboxed sshd, so on this machine) was ended.
func WaitNoProcessWithArg(arg string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pid := processWithArg(arg)
		if pid == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %s with %q still runs after %s", pid, arg, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func processWithArg(arg string) string {
	files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, a := range strings.Split(string(b), "\x00") {
			if a == arg {
				return filepath.Base(filepath.Dir(f))
			}
		}
	}
	return ""
}

// StateAndPerf is what a local and a remote run of a plugin must agree on:
// the first line and the perfdata, without the plugin's own run time.
func StateAndPerf(output string) string {
	first, _, _ := strings.Cut(output, "\n")
	_, perf, _ := strings.Cut(output, "|")
	var kept []string
	for _, p := range strings.Fields(perf) {
		if !strings.HasPrefix(p, "'time'=") {
			kept = append(kept, p)
		}
	}
	return strings.TrimSpace(first) + " | " + strings.Join(kept, " ")
}
