package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HangingCommand writes an executable into dir that never answers: it
// records its PID and that of a child of its own, then waits on the child
// forever, as a firewall-cmd stuck on a dead D-Bus or a sudo waiting for a
// password would. pidFiles name the two; ProcessGone checks each after the
// plugin exited. With escape the child leaves the process group (setsid),
// out of reach of a group kill, and holds stdout open; the caller kills
// it.
func HangingCommand(dir, name string, escape bool) (path string, pidFiles []string, err error) {
	path = filepath.Join(dir, name)
	script, child := filepath.Join(dir, name+".pid"), filepath.Join(dir, name+".child.pid")
	setsid := ""
	if escape {
		setsid = "setsid "
	}
	// Written then renamed: a reader never sees a half-written PID.
	body := fmt.Sprintf("#!/bin/sh\necho $$ > %[1]s.tmp && mv %[1]s.tmp %[1]s\n%[3]ssleep 600 &\necho $! > %[2]s.tmp && mv %[2]s.tmp %[2]s\nwait\n", script, child, setsid)
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		return "", nil, err
	}
	return path, []string{script, child}, nil
}

// ProcessGone reads a PID from pidFile and returns nil once that process
// has ended (or is a zombie waiting for its reaper), an error if it still
// runs after bound; such a leftover is killed.
func ProcessGone(pidFile string, bound time.Duration) error {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return fmt.Errorf("the command never ran: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(bound); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		stat := string(b) // the state follows the parenthesised name
		if err != nil || strings.HasPrefix(strings.TrimSpace(stat[strings.LastIndexByte(stat, ')')+1:]), "Z") {
			return nil
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			return fmt.Errorf("process %d (%s) still running %v after the check: %s", pid, filepath.Base(pidFile), bound, stat)
		}
	}
}
