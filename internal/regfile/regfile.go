// Package regfile reads files that must be regular files (config files,
// certificates, keys, password files), checking the type with stat BEFORE
// the file is opened: the plugins may run as root, and opening a device or
// FIFO that a symlink points at can have side effects (a tape rewinds, a
// modem hangs up, a FIFO blocks) even if the content is then refused.
package regfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Sentinels, matched with errors.Is.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("file too large")
)

// DefaultMax bounds files read with Read: no config, key or certificate
// file the plugins read comes near it, and memory stays bounded when a
// path names something huge.
const DefaultMax = 4 << 20

// Read returns the content of path (symlinks followed) if it is a regular
// file of at most maxBytes. The type is checked with stat before open; the
// open uses O_NONBLOCK|O_NOCTTY and the opened file is checked to be the
// same regular file, so a swap between stat and open is refused too.
// Errors are *fs.PathError (naming the path) wrapping fs.ErrNotExist,
// fs.ErrPermission, ErrNotRegular or ErrTooLarge.
func Read(path string, maxBytes int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > maxBytes {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (over %d bytes)", ErrTooLarge, maxBytes)}
	}
	return b, nil
}

// Open opens path for reading if it is a regular file; see Read.
func Open(path string) (*os.File, error) {
	before, err := os.Stat(path)
	if err != nil {
		// Said as an open would say it: to the operator the file could
		// not be opened; that a stat came first is ours to know.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open"
		}
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(before.Mode()))}
	}
	// O_NONBLOCK, O_NOCTTY: should the path have been swapped for a FIFO
	// or a terminal since the stat, the open neither blocks nor makes it
	// our controlling terminal; the check below then refuses it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	after, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !after.Mode().IsRegular() || !os.SameFile(before, after) {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (replaced while being opened)", ErrNotRegular)}
	}
	return f, nil
}

// kind names a non-regular file type for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}
