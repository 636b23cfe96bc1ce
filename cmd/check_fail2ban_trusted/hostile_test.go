package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A fail2ban-client that hangs (a wedged server, a sudo prompt): the real
// binary must answer UNKNOWN naming the command within -t plus one second,
// and leave no process behind: the client and the child it forked are
// killed as a process group before the plugin exits. The script stands in
// for fail2ban-client only because a real one does not hang on demand.
func TestHangingClientLeavesNoProcess(t *testing.T) {
	dir := t.TempDir()
	bin := buildPlugin(t, dir)
	pidfile := filepath.Join(dir, "client.pid")
	script := filepath.Join(dir, "fail2ban-client")
	// $$ is the shell; the sleep is its child, in the same process group
	body := "#!/bin/sh\necho $$ > " + pidfile + "\nsleep 60 &\necho $! >> " + pidfile + "\nwait\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command(bin, "--backend", "client", "--fail2ban-client", script, "--socket", "/var/run/fail2ban/fail2ban.sock", "--ip", "203.0.113.7", "-t", "2", "--kernel=skip")
	out, _ := cmd.CombinedOutput()
	took := time.Since(start)
	first, _, _ := strings.Cut(string(out), "\n")
	if cmd.ProcessState.ExitCode() != 3 || !strings.HasPrefix(first, "UNKNOWN: `"+script+" -s /var/run/fail2ban/fail2ban.sock status` did not finish: stalled for") {
		t.Fatalf("exit %d:\n%s", cmd.ProcessState.ExitCode(), out)
	}
	if took > 3*time.Second {
		t.Errorf("took %v with -t 2", took)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pids := strings.Fields(string(b))
	if len(pids) != 2 {
		t.Fatalf("pid file %q", b)
	}
	shell, _ := strconv.Atoi(pids[0])
	for _, p := range pids {
		pid, _ := strconv.Atoi(p)
		waitGone(t, "process "+p, func() error { return syscall.Kill(pid, 0) })
	}
	// the group the client led (Setpgid in remote.Local.Run) is empty
	waitGone(t, "process group "+pids[0], func() error { return syscall.Kill(-shell, 0) })
}

func waitGone(t *testing.T, what string, probe func() error) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := probe(); errors.Is(err, syscall.ESRCH) {
			return
		}
	}
	t.Errorf("%s still exists after the plugin exited", what)
}
