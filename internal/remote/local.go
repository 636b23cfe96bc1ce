package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/regfile"
)

// Local is the mail host itself.
type Local struct{}

// Where is "local".
func (Local) Where() string { return "local" }

// Remote is false.
func (Local) Remote() bool { return false }

// Run runs argv in its own process group, killed as a group when ctx ends so
// that no grandchild (a sudo, a python) outlives the check.
func (Local) Run(ctx context.Context, argv []string) (Output, error) {
	if len(argv) == 0 {
		return Output{ExitCode: -1}, errors.New("empty command")
	}
	// Never a PATH lookup: a plugin run as root through sudo (the shipped
	// sudoers rule lets check_firewalld_mail run so) would run whatever
	// program the caller's PATH names first.
	if !filepath.IsAbs(argv[0]) {
		return Output{ExitCode: -1}, fmt.Errorf("%s: %w", argv[0], ErrRelativeCommand)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A grandchild that left the group (setsid) survives the kill and
	// keeps stdout open: without a bound Wait blocks on the pipe until it
	// ends, and the check overruns its deadline instead of naming the
	// command that hung.
	cmd.WaitDelay = 100 * time.Millisecond
	err := cmd.Run()
	out := Output{Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: cmd.ProcessState.ExitCode()}
	if ctx.Err() != nil {
		return out, fmt.Errorf("%s: no answer: timed out", argv[0])
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return out, fmt.Errorf("%s: %w", argv[0], err)
	}
	return out, nil
}

// ReadFiles reads the files with os calls; see Host.
func (Local) ReadFiles(ctx context.Context, paths []string, maxBytes int64) ([]File, error) {
	var files []File
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return files, fmt.Errorf("reading %s: timed out", p)
		}
		dir, pattern := filepath.Split(p)
		if !strings.ContainsAny(pattern, "*?[") {
			files = append(files, readLocal(p, maxBytes))
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				files = append(files, File{Path: filepath.Clean(dir), Err: unwrapPath(err)})
			}
			continue
		}
		var names []string
		for _, e := range entries {
			if ok, _ := filepath.Match(pattern, e.Name()); ok {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			files = append(files, readLocal(filepath.Join(dir, n), maxBytes))
		}
	}
	return files, nil
}

func readLocal(path string, maxBytes int64) File {
	// Type checked before the open (regfile): a device or FIFO where a
	// config file should be is refused without being opened.
	b, err := regfile.Read(path, maxBytes)
	if errors.Is(err, ErrNotRegular) {
		return File{Path: path, Err: ErrNotRegular} // as the SSH reader says it
	}
	if err != nil {
		return File{Path: path, Err: unwrapPath(err)}
	}
	return File{Path: path, Data: b}
}

// unwrapPath drops the *fs.PathError layer, whose path the File already has.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// DialUnix dials the socket, bounded by ctx.
func (Local) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}
