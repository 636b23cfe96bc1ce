package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// The hostile matrix against the built binary: what the in-process matrix
// (internal/firewalld/hostile_test.go) cannot see is a process left
// running after the plugin exits.

// run is one started run of the binary.
type run struct {
	cmd   *exec.Cmd
	out   bytes.Buffer
	start time.Time
	took  time.Duration
}

func startRun(t *testing.T, bin string, env []string, args ...string) *run {
	t.Helper()
	// --kernel=skip: the sandbox's firewalld is in its own namespace.
	r := &run{cmd: exec.Command(bin, append(args, "--kernel=skip")...), start: time.Now()}
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	return r
}

// wait returns the exit code and output; a run that outlives bound is
// killed and reported.
func (r *run) wait(t *testing.T, bound time.Duration) (int, string) {
	t.Helper()
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(bound - time.Since(r.start)):
		r.cmd.Process.Kill()
		<-done
		t.Errorf("run still going after %v:\n%s", bound, r.out.String())
	}
	r.took = time.Since(r.start)
	return r.cmd.ProcessState.ExitCode(), r.out.String()
}

// TestBinaryFirewallCmdHangs: -t 2 against a firewall-cmd that sleeps with
// a child of its own: UNKNOWN naming the timeout within -t plus one
// second, and neither the script nor its child left once the plugin exits.
func TestBinaryFirewallCmdHangs(t *testing.T) {
	dir := t.TempDir()
	bin := sandbox.BuildBinary(t, dir)
	script, pidFiles, err := sandbox.HangingCommand(dir, "firewall-cmd", false)
	if err != nil {
		t.Fatal(err)
	}
	r := startRun(t, bin, nil, "--runtime-source=cli", "--firewall-cmd="+script, "-t", "2",
		"--config-dir", filepath.Join(dir, "etc"), "--family", "both")
	code, out := r.wait(t, 3*time.Second)
	expect(t, code, 3, out, "UNKNOWN: runtime config unreadable: "+script+" --list-all: "+script+": no answer: timed out")
	if r.took > 3*time.Second {
		t.Errorf("took %v with -t 2", r.took)
	}
	for _, f := range pidFiles {
		if err := sandbox.ProcessGone(f, time.Second); err != nil {
			t.Error(err)
		}
	}
}

// TestBinaryFirewalldKilledMidCall freezes the real firewalld, starts
// checks until each has connected to the bus and sent its first call,
// then kills firewalld: every check is left with a call firewalld will
// never answer. The bus says NoReply and firewalld's name is gone: each
// must say CRITICAL "not running", as for a stopped firewalld; never OK,
// never past -t.
func TestBinaryFirewalldKilledMidCall(t *testing.T) {
	const runs = 20
	fw, bin, bus := openFirewalld(t)
	pid := firewalldPID(t, bus)
	before := busConnections(bus)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Killed for good in any case; fw.Stop then finds it gone.
	defer syscall.Kill(pid, syscall.SIGKILL)
	var started []*run
	for range runs {
		started = append(started, startRun(t, bin, fw.Env(), "-t", "5",
			"--config-dir", fw.ConfigDir, "--default-config-dir", fw.DefaultDir, "--family", "both"))
	}
	if err := awaitConnections(bus, before+runs, 4*time.Second); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	states := map[string]int{}
	for _, r := range started {
		code, out := r.wait(t, 6*time.Second)
		first := firstLine(out)
		states[first]++
		if code != 2 || !strings.HasPrefix(first, "CRITICAL: firewalld is not running") || !strings.Contains(out, "Fix: systemctl start firewalld") {
			t.Errorf("exit %d after %v:\n%s", code, r.took, out)
		}
	}
	t.Logf("%d checks with firewalld killed mid-call: %v", runs, states)
}

// TestBinaryFirewalldFrozen: firewalld holds the name but never answers
// (stopped with SIGSTOP: accept-and-silence on D-Bus). UNKNOWN saying so
// within -t plus one second, never OK, and a thawed firewalld is judged OK
// again.
func TestBinaryFirewalldFrozen(t *testing.T) {
	fw, bin, bus := openFirewalld(t)
	pid := firewalldPID(t, bus)
	args := []string{"--config-dir", fw.ConfigDir, "--default-config-dir", fw.DefaultDir, "--family", "both"}
	syscall.Kill(pid, syscall.SIGSTOP)
	r := startRun(t, bin, fw.Env(), append([]string{"-t", "2"}, args...)...)
	code, out := r.wait(t, 3*time.Second)
	syscall.Kill(pid, syscall.SIGCONT)
	expect(t, code, 3, out, "UNKNOWN: runtime config unreadable: D-Bus getDefaultZone: no answer from firewalld: timed out")
	code, out = startRun(t, bin, fw.Env(), args...).wait(t, 11*time.Second)
	expect(t, code, 0, out, "OK: all 7 required services and ports open in zone public")
}

// openFirewalld starts a real firewalld with the mail services open
// permanently, builds the binary, and connects the test to the bus (to
// find firewalld's PID and count clients).
func openFirewalld(t *testing.T) (*sandbox.Firewalld, string, *dbus.Conn) {
	t.Helper()
	fw := startFirewalld(t)
	if err := fw.OpenPermanently(mailServices...); err != nil {
		t.Fatal(err)
	}
	bin := sandbox.BuildBinary(t, t.TempDir())
	bus, err := dbus.Connect(fw.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return fw, bin, bus
}

// TestBinaryBrokenZoneFile: the admin's public.xml replaced by what is no
// config file, with firewalld healthy: the binary's first line names the
// file and why, UNKNOWN within -t plus one second.
func TestBinaryBrokenZoneFile(t *testing.T) {
	fw, bin, _ := openFirewalld(t)
	zone := filepath.Join(fw.ConfigDir, "zones", "public.xml")
	good, err := os.ReadFile(zone)
	if err != nil {
		t.Fatal(err)
	}
	big := append([]byte("<?xml version=\"1.0\"?>\n<zone>\n"), bytes.Repeat([]byte("<service name=\"imaps\"/>\n"), 50<<20/24)...)
	for _, tc := range []struct {
		name  string
		make  func() error
		first string
	}{
		{"not XML", func() error { return os.WriteFile(zone, []byte("[zone]\nservices=imaps\n"), 0o644) }, "INVALID_ZONE: not a valid zone file"},
		{"FIFO", func() error { return syscall.Mkfifo(zone, 0o644) }, "not a regular file"},
		{"directory", func() error { return os.Mkdir(zone, 0o755) }, "not a regular file"},
		{"50 MB", func() error { return os.WriteFile(zone, big, 0o644) }, "too large for this check"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(zone)
			t.Cleanup(func() { os.RemoveAll(zone); os.WriteFile(zone, good, 0o644) })
			if err := tc.make(); err != nil {
				t.Fatal(err)
			}
			r := startRun(t, bin, fw.Env(), "-t", "3", "--config-dir", fw.ConfigDir, "--default-config-dir", fw.DefaultDir, "--family", "both")
			code, out := r.wait(t, 4*time.Second)
			if tc.name == "not XML" { // read and refused: the reload fails
				expect(t, code, 1, out, "WARNING: 1 permanent config file firewalld would refuse", zone+": "+tc.first)
			} else {
				expect(t, code, 3, out, "UNKNOWN: permanent config unreadable: "+zone+": "+tc.first)
			}
			t.Logf("%v: %s", r.took.Round(time.Millisecond), firstLine(out))
		})
	}
}
