package sandbox

import (
	"context"
	"path/filepath"
	"time"
)

// SSHAgent is a real ssh-agent on a socket of its own.
type SSHAgent struct {
	Socket string
	proc   *Process
}

// StartSSHAgent starts `ssh-agent -D -a SOCK` and loads the keys (unencrypted
// private key paths) with ssh-add.
func StartSSHAgent(dir string, keys ...string) (*SSHAgent, error) {
	a := &SSHAgent{Socket: filepath.Join(dir, "agent.sock")}
	p, err := StartProcess("ssh-agent", filepath.Join(dir, "agent.log"), nil, "ssh-agent", "-D", "-a", a.Socket)
	if err != nil {
		return nil, err
	}
	if err := p.WaitFor(10*time.Second, "agent socket", SocketReady(a.Socket)); err != nil {
		p.Stop()
		return nil, err
	}
	a.proc = p
	for _, k := range keys {
		if _, err := Run(context.Background(), a.Env(), "ssh-add", "-q", k); err != nil {
			p.Stop()
			return nil, err
		}
	}
	return a, nil
}

// Env points SSH_AUTH_SOCK at the agent.
func (a *SSHAgent) Env() []string { return []string{"SSH_AUTH_SOCK=" + a.Socket} }

// Stop ends the agent.
func (a *SSHAgent) Stop() {
	if a != nil {
		a.proc.Stop()
	}
}
