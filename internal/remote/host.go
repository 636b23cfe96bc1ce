package remote

import (
	"context"
	"errors"
	"net"

	"github.com/mailhost-checks/mailchecks/internal/regfile"
)

// Host is what gathering may do on the mail host. Every method honours ctx:
// it returns (with an error saying which step stalled) when ctx ends.
type Host interface {
	// Run runs argv directly (no shell on the local side; over SSH every
	// word is shell-quoted) with stdin empty. A command that ran and exited
	// non-zero is not an error: its Output carries the exit code.
	Run(ctx context.Context, argv []string) (Output, error)
	// ReadFiles reads, in one round trip, every plain path and every file
	// matched by a pattern (filepath.Match syntax in the last element only,
	// e.g. "/etc/firewalld/zones/*.xml"). A plain path always gets a File
	// (with Err set when it is missing, unreadable, not a regular file or
	// larger than maxBytes); a pattern gets one File per match, sorted. A
	// directory that cannot be listed gives one File with the directory as
	// Path and the reason in Err.
	ReadFiles(ctx context.Context, paths []string, maxBytes int64) ([]File, error)
	// DialUnix connects to a unix stream socket on the host.
	DialUnix(ctx context.Context, path string) (net.Conn, error)
	// Where says where the facts come from, for output: "local" or
	// "via SSH root@mail.example.org:22".
	Where() string
	// Remote reports whether the host is reached over the network (some
	// sources, such as D-Bus, exist only locally).
	Remote() bool
}

// Output is what a command left behind.
type Output struct {
	Stdout, Stderr []byte
	// ExitCode is the command's exit status; -1 when it was killed by a
	// signal or the status never arrived (see Err of Run in that case).
	ExitCode int
}

// File is one file read by ReadFiles.
type File struct {
	Path string
	Data []byte
	Err  error // wraps fs.ErrNotExist, fs.ErrPermission, ErrNotRegular or ErrTooLarge
}

// Sentinels for File.Err, beside fs.ErrNotExist and fs.ErrPermission.
var (
	ErrNotRegular = regfile.ErrNotRegular
	ErrTooLarge   = regfile.ErrTooLarge
	// ErrRelativeCommand: Run refuses a command that is not an absolute
	// path (see Local.Run).
	ErrRelativeCommand = errors.New("not an absolute path: commands are never looked up in PATH")
)
