package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The helpers every package's tests share, kept here once: a copy per
// package drifts (one counts descriptors differently, one builds with cgo).

// OpenFDs counts this process's open file descriptors: a check that leaks
// a socket or a pipe per run shows as a count that grows.
func OpenFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// BuildBinary builds the command in the current directory (a test runs in
// its package's) as make does, static and without cgo, into dir, and
// returns its path; the binary is named after the directory.
func BuildBinary(t testing.TB, dir string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(wd))
	if out, err := Run(context.Background(), []string{"CGO_ENABLED=0"}, "go", "build", "-o", bin, "."); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	return bin
}

// FailUnlessRoot fails (never skips) a test that needs root; needs says for
// what (namespaces, dpkg -i, …).
func FailUnlessRoot(t testing.TB, needs string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (" + needs + "); run `make test` as root, as CI does")
	}
}

// ProbeClient is AttachServing for a test: a client namespace wired to
// firewalld's, listeners on ports inside firewalld's namespace (993 when
// none are named), both stopped when the test ends. The kernel's answer to
// this client is the reference a verdict about reachability is held to.
func (f *Firewalld) ProbeClient(t testing.TB, ports ...int) *Client {
	t.Helper()
	if len(ports) == 0 {
		ports = []int{993}
	}
	client, err := f.AttachServing(ports...)
	if err != nil {
		t.Fatalf("veth to firewalld's namespace, listeners on %v: %v", ports, err)
	}
	t.Cleanup(client.Stop)
	return client
}

// FilesUnder reads every file below dir whose name ends in suffix (a
// corpus to seed fuzz targets with), in WalkDir's order.
func FilesUnder(t testing.TB, dir, suffix string) [][]byte {
	t.Helper()
	var out [][]byte
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, suffix) {
			b, err := os.ReadFile(path)
			if err == nil {
				out = append(out, b)
			}
			return err
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FirewalldForTest starts a firewalld sandbox that ends with the test. Its
// directory is traversable by other users, so a test that runs the check
// as nobody reaches the bus socket and firewalld itself says "not
// authorized".
func FirewalldForTest(t testing.TB) *Firewalld {
	t.Helper()
	dir, err := os.MkdirTemp("", "fw-sandbox-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fw, err := StartFirewalld(dir)
	if err != nil {
		t.Fatalf("cannot start the firewalld sandbox (make deps installs it): %v", err)
	}
	t.Cleanup(fw.Stop)
	return fw
}
