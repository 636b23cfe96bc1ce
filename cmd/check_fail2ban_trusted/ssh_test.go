package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// remoteSetup is a real fail2ban behind a real sshd on 127.0.0.1; the
// socket lives where both the local and the remote run reach it, so the
// two can be compared fact for fact.
type remoteSetup struct {
	f2b *sandbox.Fail2ban
	ssh *sandbox.SSHClient
}

func startRemote(t *testing.T, opt sandbox.SSHDOptions) *remoteSetup {
	t.Helper()
	return startRemoteDB(t, opt, ":memory:")
}

// startRemoteDB is startRemote with fail2ban's database in dbfile.
func startRemoteDB(t *testing.T, opt sandbox.SSHDOptions, dbfile string) *remoteSetup {
	t.Helper()
	t.Setenv("SSH_AUTH_SOCK", "")
	dir := t.TempDir()
	f, err := sandbox.StartFail2banDB(filepath.Join(dir, "f2b"), "198.51.100.0/24", dbfile,
		sandbox.Fail2banJail{Name: "dovecot"}, sandbox.Fail2banJail{Name: "postfix-sasl"})
	if err != nil {
		t.Fatalf("cannot start the real fail2ban (never skipped): %v", err)
	}
	t.Cleanup(f.Stop)
	s, err := sandbox.StartSSHDWithClient(dir, opt)
	if err != nil {
		t.Fatalf("cannot start the real sshd (never skipped): %v", err)
	}
	t.Cleanup(s.Stop)
	return &remoteSetup{f2b: f, ssh: s}
}

func (r *remoteSetup) remote(args ...string) []string {
	return r.remoteWith(r.ssh.Key, r.ssh.KnownHosts, args...)
}

func (r *remoteSetup) remoteWith(key, knownHosts string, args ...string) []string {
	return append(append(r.ssh.PluginArgs(key, knownHosts), "--socket", r.f2b.Socket), args...)
}

// Every state, local and over SSH: same exit code, same first line, same
// perfdata; the remote output says where its facts came from.
func TestRemoteAgreesWithLocal(t *testing.T) {
	r := startRemote(t, sandbox.SSHDOptions{})
	if out, err := r.f2b.Client("set", "postfix-sasl", "banip", "203.0.113.7"); err != nil {
		t.Fatal(err, out)
	}
	for _, args := range [][]string{
		{"--ip", "198.51.100.7"},                       // OK
		{"--ip", "192.0.2.1"},                          // WARNING
		{"--ip", "203.0.113.7"},                        // CRITICAL
		{"--ip", "192.0.2.1", "--jail", "sshd"},        // UNKNOWN
		{"--ip", "203.0.113.7", "--backend", "client"}, // CRITICAL, fail2ban-client remotely
	} {
		lcode, lout := run(t, append([]string{"--socket", r.f2b.Socket}, args...)...)
		rcode, rout := run(t, r.remote(args...)...)
		if lcode != rcode || sandbox.StateAndPerf(lout) != sandbox.StateAndPerf(rout) {
			t.Errorf("%v: local and SSH differ:\nlocal (%d):\n%s\nssh (%d):\n%s", args, lcode, lout, rcode, rout)
		}
		if !strings.Contains(rout, "facts gathered via SSH root@127.0.0.1:") || strings.Contains(lout, "via SSH") {
			t.Errorf("%v: the remote run must say where its facts came from, the local one not:\n%s\n%s", args, lout, rout)
		}
	}
	// The socket path went over stream-local, and -v says so.
	if _, out := run(t, r.remote("--ip", "198.51.100.7", "-v")...); !strings.Contains(out, "over an SSH stream-local channel") {
		t.Errorf("-v does not name the path:\n%s", out)
	}
}

// sshd refuses stream-local forwarding: the check runs fail2ban-client on
// the mail host instead, reaches the same verdict, and -v says why.
func TestRemoteStreamLocalRefusedFallsBackToClient(t *testing.T) {
	r := startRemote(t, sandbox.SSHDOptions{NoStreamLocal: true})
	if out, err := r.f2b.Client("set", "dovecot", "banip", "203.0.113.9"); err != nil {
		t.Fatal(err, out)
	}
	lcode, lout := run(t, "--socket", r.f2b.Socket, "--ip", "203.0.113.9")
	rcode, rout := run(t, r.remote("--ip", "203.0.113.9", "-v")...)
	if lcode != 2 || rcode != lcode || strings.SplitN(lout, "\n", 2)[0] != strings.SplitN(rout, "\n", 2)[0] {
		t.Fatalf("local (%d):\n%s\nssh (%d):\n%s", lcode, lout, rcode, rout)
	}
	if !strings.Contains(rout, "fell back to running /usr/bin/fail2ban-client on the mail host") || !strings.Contains(rout, "stream-local forwarding refused") {
		t.Fatalf("-v does not say which path and why:\n%s", rout)
	}
}

// --ip=ssh-client is the address the mail host sees the connection come
// from; banned, it is CRITICAL and the output names the address.
func TestRemoteSSHClientBanned(t *testing.T) {
	r := startRemote(t, sandbox.SSHDOptions{})
	if out, err := r.f2b.Client("set", "dovecot", "banip", "127.0.0.1"); err != nil {
		t.Fatal(err, out)
	}
	code, out := run(t, r.remote("--ip", "ssh-client")...)
	if code != 2 || !strings.HasPrefix(out, "CRITICAL: 127.0.0.1 is banned in dovecot") || !strings.Contains(out, "--ip=ssh-client is 127.0.0.1") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if code, out := run(t, "--ip", "ssh-client"); code != 3 || !strings.Contains(out, "needs --ssh-host") {
		t.Fatalf("local ssh-client: exit %d:\n%s", code, out)
	}
}

// A fail2ban-client that hangs on the mail host: UNKNOWN within -t plus one
// second, and the hung process is gone afterwards (sshd runs here, so the
// remote side is this machine).
func TestRemoteHungClientIsBounded(t *testing.T) {
	r := startRemote(t, sandbox.SSHDOptions{})
	hang := filepath.Join(t.TempDir(), "fail2ban-client")
	if err := os.WriteFile(hang, []byte("#!/bin/sh\nexec sleep 293.75\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, out := run(t, r.remote("--ip", "192.0.2.1", "--backend", "client", "--fail2ban-client", hang, "-t", "2")...)
	if took := time.Since(start); code != 3 || took > 3*time.Second {
		t.Fatalf("exit %d after %v:\n%s", code, took, out)
	}
	if strings.Contains(out, "plugin timed out") {
		t.Errorf("the watchdog answered, not the check:\n%s", out)
	}
	waitNoProcess(t, "293.75")
}

// Host key and login problems end the check before anything is asked, each
// in its own state.
func TestRemoteHostKeyAndLoginProblems(t *testing.T) {
	r := startRemote(t, sandbox.SSHDOptions{})
	empty := filepath.Join(t.TempDir(), "empty_known_hosts")
	if code, out := run(t, r.remoteWith(r.ssh.Key, empty, "--ip", "192.0.2.1")...); code != 3 || !strings.Contains(out, "ssh-keyscan -p ") {
		t.Errorf("unknown host: exit %d:\n%s", code, out)
	}
	other, err := sandbox.StartSSHDWithClient(t.TempDir(), sandbox.SSHDOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other.Stop()
	changed := filepath.Join(t.TempDir(), "changed")
	line, _ := other.KnownHostsLine("ed25519")
	line = strings.Replace(line, ":"+itoa(other.Port), ":"+itoa(r.ssh.Port), 1)
	if err := os.WriteFile(changed, []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := run(t, r.remoteWith(r.ssh.Key, changed, "--ip", "192.0.2.1")...); code != 2 || !strings.HasPrefix(out, "CRITICAL: host key changed: possible man in the middle") {
		t.Errorf("changed key: exit %d:\n%s", code, out)
	}
	if code, out := run(t, r.remoteWith(other.Key, r.ssh.KnownHosts, "--ip", "192.0.2.1")...); code != 3 || !strings.Contains(out, "sshd jail") {
		t.Errorf("refused key: exit %d:\n%s", code, out)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// waitGone waits until no process has arg on its command line.
func waitNoProcess(t *testing.T, arg string) {
	t.Helper()
	if err := sandbox.WaitNoProcessWithArg(arg, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// A mail host whose login shell prints a greeting on stdout and noise on
// stderr before every command, and whose sshd shows a banner: the verdict is
// still the local one.
func TestRemoteNoisyLoginShellChangesNothing(t *testing.T) {
	banner := filepath.Join(t.TempDir(), "banner")
	if err := os.WriteFile(banner, []byte("Authorized use only\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRemote(t, sandbox.SSHDOptions{
		Bashrc: "echo 'Welcome to mail.example.org | 3 updates'\necho 'warning: noise' >&2\n",
		Extra:  "Banner " + banner + "\n",
	})
	if out, err := r.f2b.Client("set", "postfix-sasl", "banip", "203.0.113.7"); err != nil {
		t.Fatal(err, out)
	}
	for _, args := range [][]string{
		{"--ip", "198.51.100.7"},
		{"--ip", "203.0.113.7"},
		{"--ip", "ssh-client"},
		{"--ip", "203.0.113.7", "--backend", "client"},
	} {
		local := []string{"--socket", r.f2b.Socket}
		for _, a := range args {
			local = append(local, strings.Replace(a, "ssh-client", "127.0.0.1", 1))
		}
		lcode, lout := run(t, local...)
		rcode, rout := run(t, r.remote(args...)...)
		if rcode != lcode || sandbox.StateAndPerf(lout) != sandbox.StateAndPerf(rout) {
			t.Errorf("%v: local (%d):\n%s\nssh (%d):\n%s", args, lcode, lout, rcode, rout)
		}
	}
}

// A remote fail2ban-client that exits 7, or 2 with noise, or dies by a
// signal: never a state by accident, always UNKNOWN with the reason.
func TestRemoteOddExitsAreUnknown(t *testing.T) {
	r := startRemote(t, sandbox.SSHDOptions{})
	for _, body := range []string{
		"echo 'Status'; echo garbage >&2; exit 7",
		"echo 'OK'; exit 2",
		"kill -9 $$",
	} {
		script := filepath.Join(t.TempDir(), "fail2ban-client")
		if err := os.WriteFile(script, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		code, out := run(t, r.remote("--ip", "198.51.100.7", "--backend", "client", "--fail2ban-client", script)...)
		if code != 3 || !strings.HasPrefix(out, "UNKNOWN: ") {
			t.Errorf("%q: exit %d:\n%s", body, code, out)
		}
	}
}
