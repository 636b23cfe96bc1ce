package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/firewalld"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// startRemote puts a real sshd in front of the sandboxed firewalld: its
// sessions get the sandbox's bus through sshd's SetEnv, while this process
// gets no bus at all, so a remote run can only succeed through SSH.
func startRemote(t *testing.T) (*sandbox.Firewalld, *sandbox.SSHClient) {
	return startRemoteWith(t, sandbox.SSHDOptions{})
}

func startRemoteWith(t *testing.T, opt sandbox.SSHDOptions) (*sandbox.Firewalld, *sandbox.SSHClient) {
	t.Helper()
	fw := startFirewalld(t)
	opt.Env = append(opt.Env, fw.Env()...)
	s, err := sandbox.StartSSHDWithClient(t.TempDir(), opt)
	if err != nil {
		t.Fatalf("cannot start the real sshd (never skipped): %v", err)
	}
	t.Cleanup(s.Stop)
	t.Setenv("SSH_AUTH_SOCK", "")
	return fw, s
}

// checkRemote is check over SSH, with no bus on this side.
func checkRemote(t *testing.T, fw *sandbox.Firewalld, s *sandbox.SSHClient, args ...string) (int, string) {
	t.Helper()
	bus := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS")
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus-here"))
	defer os.Setenv("DBUS_SYSTEM_BUS_ADDRESS", bus)
	return check(t, fw, append(s.Args(), args...)...)
}

// Each state locally (D-Bus) and over SSH (remote firewall-cmd and one file
// reader): the same exit code, first line and perfdata.
func TestRemoteAgreesWithLocal(t *testing.T) {
	// The mail host's shell greets on stdout and stderr before every
	// command, as some do: it must change nothing.
	fw, s := startRemoteWith(t, sandbox.SSHDOptions{Bashrc: "echo 'Welcome to mail.example.org'\necho 'noise' >&2\n"})
	for _, svc := range mailServices {
		if svc != "imaps" {
			mustCmd(t, fw, "--permanent", "--add-service="+svc)
		}
	}
	mustCmd(t, fw, "--reload")
	mustCmd(t, fw, "--add-service=imaps")
	steps := []struct {
		want  int
		setup []string
	}{
		{1, nil}, // imaps runtime only
		{2, []string{"--reload"}},
		{0, []string{"--permanent", "--add-service=imaps"}},
	}
	for _, st := range steps {
		if st.setup != nil {
			mustCmd(t, fw, st.setup...)
			if st.setup[0] != "--reload" {
				mustCmd(t, fw, "--reload")
			}
		}
		lcode, lout := check(t, fw)
		rcode, rout := checkRemote(t, fw, s)
		if lcode != st.want || rcode != lcode || sandbox.StateAndPerf(lout) != sandbox.StateAndPerf(rout) {
			t.Fatalf("want exit %d; local (%d):\n%s\nssh (%d):\n%s", st.want, lcode, lout, rcode, rout)
		}
		if !strings.Contains(rout, "facts gathered via SSH root@127.0.0.1:") || strings.Contains(lout, "via SSH") {
			t.Fatalf("the remote run must say where its facts came from:\n%s", rout)
		}
		if !strings.Contains(rout, "runtime from D-Bus") {
			t.Fatalf("the remote run did not ask the mail host's D-Bus:\n%s", rout)
		}
	}
	// A zone that does not exist: UNKNOWN in both.
	lcode, lout := check(t, fw, "--zone", "nosuchzone")
	rcode, rout := checkRemote(t, fw, s, "--zone", "nosuchzone")
	if lcode != 3 || rcode != 3 || sandbox.StateAndPerf(lout) != sandbox.StateAndPerf(rout) {
		t.Fatalf("local (%d):\n%s\nssh (%d):\n%s", lcode, lout, rcode, rout)
	}
}

// countingHost counts what gathering asks of the mail host (from several
// goroutines: the version is asked while the files are read).
type countingHost struct {
	remote.Host
	runs, reads atomic.Int64
}

func (c *countingHost) Run(ctx context.Context, argv []string) (remote.Output, error) {
	c.runs.Add(1)
	return c.Host.Run(ctx, argv)
}

func (c *countingHost) ReadFiles(ctx context.Context, paths []string, max int64) ([]remote.File, error) {
	c.reads.Add(1)
	return c.Host.ReadFiles(ctx, paths, max)
}

func (c *countingHost) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	return c.Host.DialUnix(ctx, path)
}

// Over SSH with --runtime-source cli, a check with no binding of its own
// is firewall-cmd --list-all (the default zone) and --get-active-zones
// (where bindings send clients, --zone or not; one --zone=Z --list-all
// more per other active zone), one firewall-cmd --version (the release
// whose rules judge the permanent config, asked while the files are read)
// and one file reader: every permanent file (firewalld.conf, both trees'
// zones and services, the kernel's address and route tables) comes back
// in a single remote command, not one per file.
func TestRemoteIsTwoRoundTrips(t *testing.T) {
	fw, s := startRemote(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, _ := remote.SSHFlags{SSHHost: "127.0.0.1", SSHPort: s.Port, SSHUser: "root", SSHKey: s.Key, SSHKnownHosts: []string{s.KnownHosts}}.Config()
	ssh, err := remote.DialSSH(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ssh.Close()
	host := &countingHost{Host: ssh}
	r := firewalld.Check(ctx, host, firewalld.Config{
		Zone: "public", Services: []string{"imaps"}, RuntimeSource: "cli", FirewallCmd: "firewall-cmd", Family: "both",
		Dirs: fwconfig.Dirs{ConfigDir: fw.ConfigDir, DefaultDir: fw.DefaultDir}, Drift: plugin.Warning,
	})
	if r.State() != plugin.OK || host.runs.Load() != 3 || host.reads.Load() != 1 {
		t.Fatalf("state %v after %d commands and %d file reads: %+v", r.State(), host.runs.Load(), host.reads.Load(), r)
	}
}

// Zone names, interface names and paths that hold shell syntax are refused
// or reach the mail host inertly: nothing they spell is executed there.
func TestRemoteShellSyntaxIsInert(t *testing.T) {
	fw, s := startRemote(t)
	canary := filepath.Join(t.TempDir(), "pwned")
	for _, args := range [][]string{
		{"--zone", "public;touch " + canary},
		{"--zone", "$(touch " + canary + ")"},
		{"--zone", "pub'lic"},
		{"--zone", "public\ntouch " + canary},
		{"--interface", "eth0`touch " + canary + "`"},
		{"--runtime-source", "cli", "--firewall-cmd", "firewall-cmd;touch " + canary},
	} {
		code, out := checkRemote(t, fw, s, args...)
		if code != 3 {
			t.Errorf("%q: exit %d, want UNKNOWN:\n%s", args, code, out)
		}
		if _, err := os.Stat(canary); err == nil {
			t.Fatalf("%q was executed on the mail host:\n%s", args, out)
		}
	}
	// A config dir spelled with $() is read as that literal (missing) path.
	code, out := check(t, fw, append(s.Args(), "--config-dir", "/etc/$(touch "+canary+")")...)
	if _, err := os.Stat(canary); err == nil || code == 0 {
		t.Fatalf("exit %d, canary %v:\n%s", code, err, out)
	}
}

// A firewall-cmd that hangs on the mail host: UNKNOWN within -t plus one
// second, and the hung process is gone afterwards.
func TestRemoteHungFirewallCmdIsBounded(t *testing.T) {
	fw, s := startRemote(t)
	hang := filepath.Join(t.TempDir(), "firewall-cmd")
	if err := os.WriteFile(hang, []byte("#!/bin/sh\nexec sleep 271.5\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var out bytes.Buffer
	args := append(s.Args(), "--config-dir", fw.ConfigDir, "--family", "both", "--runtime-source", "cli", "--firewall-cmd", hang, "-t", "2")
	code := plugin.Run(plugin.Info{Name: "check_firewalld_mail"}, &cli{}, args, &out)
	if took := time.Since(start); code != 3 || took > 3*time.Second || strings.Contains(out.String(), "plugin timed out") {
		t.Fatalf("exit %d after %v:\n%s", code, took, out.String())
	}
	if err := sandbox.WaitNoProcessWithArg("271.5", 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// sshd refuses stream-local forwarding (so the mail host's D-Bus is out of
// reach): the runtime view comes from firewall-cmd on the mail host, the
// verdict is the local one, and -v says why.
func TestRemoteWithoutStreamLocalFallsBackToFirewallCmd(t *testing.T) {
	fw, s := startRemoteWith(t, sandbox.SSHDOptions{NoStreamLocal: true})
	mustCmd(t, fw, "--add-service=imaps")
	lcode, lout := check(t, fw, "--service", "imaps")
	rcode, rout := checkRemote(t, fw, s, "--service", "imaps", "-v")
	if lcode != 1 || rcode != lcode || sandbox.StateAndPerf(lout) != sandbox.StateAndPerf(rout) {
		t.Fatalf("local (%d):\n%s\nssh (%d):\n%s", lcode, lout, rcode, rout)
	}
	for _, want := range []string{"runtime from firewall-cmd", "not its D-Bus", "stream-local"} {
		if !strings.Contains(rout, want) {
			t.Errorf("-v lacks %q:\n%s", want, rout)
		}
	}
}

// A remote firewall-cmd that exits 7 with noise, or dies by a signal: the
// runtime view is unverified (UNKNOWN), never a state read from its exit.
func TestRemoteOddFirewallCmdExitsAreUnknown(t *testing.T) {
	fw, s := startRemote(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	for _, body := range []string{"echo 'public (active)'; echo noise >&2; exit 7", "kill -9 $$"} {
		script := filepath.Join(t.TempDir(), "firewall-cmd")
		if err := os.WriteFile(script, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		code, out := checkRemote(t, fw, s, "--service", "imaps", "--runtime-source", "cli", "--firewall-cmd", script)
		if code != 3 || !strings.HasPrefix(out, "UNKNOWN: ") {
			t.Errorf("%q: exit %d:\n%s", body, code, out)
		}
	}
}
