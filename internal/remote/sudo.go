package remote

import (
	"context"
	"net"
)

// WithSudo makes every Run go through `sudo -n --` (fail at once instead of
// asking for a password), locally and over SSH alike, so that a plugin's
// --sudo means the same in both modes and matches the command lines of
// contrib/sudoers.d. ReadFiles and DialUnix are untouched: a sudo rule that
// let a shell read files would be root for everything, so root-only files
// are made readable with an ACL instead (see docs/privileges.md).
func WithSudo(h Host) Host { return sudoHost{h} }

// SudoPath is sudo's path on Debian, Fedora and RHEL alike; an absolute
// path locally because Local.Run never searches PATH, and over SSH so that
// the command line matches what contrib/sudoers.d's rules expect.
const SudoPath = "/usr/bin/sudo"

type sudoHost struct{ h Host }

func (s sudoHost) Run(ctx context.Context, argv []string) (Output, error) {
	return s.h.Run(ctx, append([]string{SudoPath, "-n", "--"}, argv...))
}

func (s sudoHost) ReadFiles(ctx context.Context, paths []string, maxBytes int64) ([]File, error) {
	return s.h.ReadFiles(ctx, paths, maxBytes)
}

func (s sudoHost) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	return s.h.DialUnix(ctx, path)
}

func (s sudoHost) Where() string { return s.h.Where() }
func (s sudoHost) Remote() bool  { return s.h.Remote() }
