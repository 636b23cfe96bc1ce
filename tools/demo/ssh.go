package main

import (
	"path/filepath"
	"strconv"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() {
	addSection(30, "Remote mode: the monitoring host checks the mail host over SSH", sshDemo)
}

// sshDemo runs check_fail2ban_trusted from "the monitoring host" against a
// fail2ban behind a private sshd: first contact with an unknown host key,
// the key added after checking its fingerprint, then the monitoring host's
// own address (--ip=ssh-client) banned.
func sshDemo(d *demo) error {
	dir := filepath.Join(d.work, "ssh")
	f, err := sandbox.StartFail2ban(filepath.Join(dir, "f2b"), "127.0.0.1/8 ::1",
		sandbox.Fail2banJail{Name: "dovecot"}, sandbox.Fail2banJail{Name: "postfix-sasl"})
	if err != nil {
		return err
	}
	defer f.Stop()
	s, err := sandbox.StartSSHDWithClient(dir, sandbox.SSHDOptions{})
	if err != nil {
		return err
	}
	defer s.Stop()
	knownHosts := filepath.Join(dir, "monitoring_known_hosts")
	env := []string{"SSH_AUTH_SOCK="}
	check := func(want int) error {
		args := append(s.PluginArgs(s.Key, knownHosts), "--socket", f.Socket, "--ip", "ssh-client")
		return d.expect(want, env, "check_fail2ban_trusted", args...)
	}

	d.say("A private sshd plays the mail host (127.0.0.1:%d), with fail2ban behind it. First contact:\n# its host key is not in known_hosts yet, so nothing is trusted and nothing is checked (UNKNOWN).", s.Port)
	if err := check(3); err != nil {
		return err
	}
	d.say("Compare the fingerprint with the mail host's own (out of band: on its console), then run the printed line.")
	if err := d.shell(nil, "ssh-keygen", "-l", "-f", s.HostKeys["ed25519"]+".pub"); err != nil {
		return err
	}
	if err := d.shell(nil, "sh", "-c", "ssh-keyscan -p "+strconv.Itoa(s.Port)+" 127.0.0.1 >> "+knownHosts+" 2>/dev/null; cut -c1-60 "+knownHosts); err != nil {
		return err
	}
	d.say("Now the check runs over one SSH connection, socket over stream-local; --ip=ssh-client is the address\n# the mail host sees this monitoring host come from.")
	if err := check(0); err != nil {
		return err
	}
	d.say("A failing IMAP login check from the monitoring host gets that address banned (here: by hand).")
	if err := d.shell(nil, "fail2ban-client", "-s", f.Socket, "set", "dovecot", "banip", "127.0.0.1"); err != nil {
		return err
	}
	if err := check(2); err != nil {
		return err
	}
	return nil
}
