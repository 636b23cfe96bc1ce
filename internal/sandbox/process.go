package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Process is one daemon started by a sandbox, in its own process group so that
// Stop also reaches children it forks, and with its output in a log file that
// start errors quote.
type Process struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// StartProcess runs argv with env added to the current environment, output to
// logPath. It does not wait for readiness: use WaitFor.
func StartProcess(name, logPath string, env []string, argv ...string) (*Process, error) {
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, fmt.Errorf("%s: %w (install it with `make deps`, as root)", name, err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// PID is the daemon's process ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL after a grace period,
// and waits. It is safe to call twice.
func (p *Process) Stop() {
	if p == nil || p.Exited() {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// Log returns the tail of the process's log, for error messages.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// fileTail is the last limit bytes of a daemon's log file ("" when it
// cannot be read), for error messages.
func fileTail(path string, limit int) string {
	b, _ := os.ReadFile(path)
	if len(b) > limit {
		b = b[len(b)-limit:]
	}
	return string(b)
}

// WaitFor polls ready until it returns nil, the process exits, or timeout.
func (p *Process) WaitFor(timeout time.Duration, what string, ready func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p.Exited() {
			return fmt.Errorf("%s exited before %s (%v); log:\n%s", p.Name, what, p.waitErr, p.Log())
		}
		if last = ready(); last == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s: no %s after %s (%v); log:\n%s", p.Name, what, timeout, last, p.Log())
}

// SocketReady is a ready func that succeeds once a unix socket accepts.
func SocketReady(path string) func() error {
	return func() error {
		c, err := net.DialTimeout("unix", path, 200*time.Millisecond)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// TCPReady is a ready func that succeeds once addr accepts a connection.
func TCPReady(addr string) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Run runs a helper command (openssl, firewall-cmd, …) and returns its
// combined output; the error quotes the output.
func Run(ctx context.Context, env []string, argv ...string) (string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// RequireRoot explains why a sandbox cannot start for a non-root user.
func RequireRoot(what string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s sandbox needs root (namespaces, system daemons); run the tests as root", what)
	}
	return nil
}

// WriteFile writes a file, creating parent directories.
func WriteFile(path, content string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), mode)
}

// ErrNotStarted is returned by handles used after Stop.
var ErrNotStarted = errors.New("sandbox not running")

// ExitCode extracts a command's exit status from Run's error (0 for nil,
// -1 when the command did not run).
func ExitCode(err error) int {
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}
