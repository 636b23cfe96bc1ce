package main

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() {
	addBench(40, "remote mode over SSH vs check_by_ssh vs local", sshBench)
}

// sshBench measures a check run from the monitoring host over a fresh SSH
// connection (our remote mode: one in-process connection, host key
// verified) against the check_by_ssh way (the OpenSSH client runs the
// plugin on the mail host) and against the local check, on one sandboxed
// sshd with the sandboxed daemons behind it.
func sshBench(r *runner) error {
	dir := filepath.Join(r.work, "ssh")
	f, err := sandbox.StartFail2ban(filepath.Join(dir, "f2b"), "198.51.100.0/24",
		sandbox.Fail2banJail{Name: "dovecot"}, sandbox.Fail2banJail{Name: "postfix-sasl"})
	if err != nil {
		return err
	}
	defer f.Stop()
	fw, err := sandbox.StartFirewalld(filepath.Join(dir, "firewalld"))
	if err != nil {
		return err
	}
	defer fw.Stop()
	if err := fw.OpenPermanently("smtp", "smtps", "smtp-submission", "imap", "imaps", "http", "https"); err != nil {
		return err
	}
	// Sessions see the sandbox's bus, as the mail host's own sessions see
	// its system bus.
	s, err := sandbox.StartSSHDWithClient(dir, sandbox.SSHDOptions{Env: fw.Env()})
	if err != nil {
		return err
	}
	defer s.Stop()
	env := []string{"SSH_AUTH_SOCK="}

	for _, c := range []struct {
		plugin string
		args   []string
	}{
		// --zone: the remote runtime view is then one firewall-cmd
		// --zone=public --list-all (without it, one per active zone more).
		{"check_firewalld_mail", []string{"--config-dir", fw.ConfigDir, "--zone", "public"}},
		{"check_fail2ban_trusted", []string{"--socket", f.Socket, "--ip", "198.51.100.7"}},
	} {
		bin := filepath.Join(r.bin, c.plugin)
		args := strings.Join(c.args, " ")
		remote := bin + " " + strings.Join(s.Args(), " ") + " " + args
		bySSH := "ssh -p " + strconv.Itoa(s.Port) + " -i " + s.Key + " -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=" +
			s.KnownHosts + " -o ControlMaster=no root@127.0.0.1 " + bin + " " + args
		if _, _, err := r.compare(c.plugin+" --ssh-host (fresh connection) vs `ssh mail "+c.plugin+"` (check_by_ssh way)", "≥ 1×",
			env, 20, remote, bySSH); err != nil {
			return err
		}
		local := bin + " " + args
		if _, _, err := r.compare(c.plugin+" local vs --ssh-host (what remote mode costs)", "—",
			append(env, fw.Env()...), 20, local, remote); err != nil {
			return err
		}
	}
	return nil
}
