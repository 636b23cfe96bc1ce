package packaging

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The plugins every package carries, as named in cmd/.
var plugins = []string{"check_firewalld_mail", "check_fail2ban_trusted", "check_imaps_tls", "check_smtp_tls"}

// Plugin directories of the two formats (Debian's and Fedora's PluginDir).
const (
	debPluginDir = "/usr/lib/nagios/plugins"
	rpmPluginDir = "/usr/lib64/nagios/plugins"
)

// debPackage names the Debian package of each program the tests run.
var debPackage = map[string]string{
	"dpkg": "dpkg", "dpkg-deb": "dpkg", "rpm": "rpm", "rpm2cpio": "rpm", "cpio": "cpio",
	"unshare": "util-linux", "nsenter": "util-linux", "git": "git", "/usr/sbin/visudo": "sudo",
	"lintian": "lintian", "rpmlint": "rpmlint", "man": "man-db", "make": "make",
}

// requireTool fails (never skips) with the install line when a program is missing.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s: %v: install the Debian package %s (`make deps`, as root, installs the test dependencies)", name, err, debPackage[name])
	}
}

// run executes argv (bounded to a minute) and returns its combined output;
// a non-zero exit fails the test with that output.
func run(t *testing.T, env []string, argv ...string) string {
	t.Helper()
	out, code := runCode(t, env, argv...)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s", strings.Join(argv, " "), code, out)
	}
	return out
}

// runCode is run that returns the exit code instead of failing on it.
func runCode(t *testing.T, env []string, argv ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee) && ee.Exited():
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out.String())
	return "", -1
}

// built is the result of one packaging/build.sh run, shared by the tests.
type built struct {
	version string // what version.sh prints, and the plugins' -V
	deb     string
	rpm     string
	err     error
}

var (
	buildOnce sync.Once
	packages  built
	scratch   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if scratch != "" {
		os.RemoveAll(scratch)
	}
	os.Exit(code)
}

// buildPackages runs build.sh (what `make package` runs) once into a scratch
// directory, so that the tests neither need nor touch the checkout's dist/.
func buildPackages(t *testing.T) built {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mailchecks-packages-")
		if err != nil {
			packages.err = err
			return
		}
		scratch = dir
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		// go test puts its own GOROOT/bin first on PATH: build.sh's go
		// is the one running the tests.
		cmd := exec.CommandContext(ctx, "./build.sh", dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			packages.err = errors.New("packaging/build.sh: " + err.Error() + "\n" + stderr.String())
			return
		}
		for _, p := range strings.Fields(string(out)) {
			switch filepath.Ext(p) {
			case ".deb":
				packages.deb = p
			case ".rpm":
				packages.rpm = p
			}
		}
		v, err := exec.Command("./version.sh").Output()
		packages.version = strings.TrimSpace(string(v))
		if override := os.Getenv("MAILCHECKS_VERSION"); override != "" {
			packages.version = override // what build.sh used instead
		}
		if err != nil || packages.deb == "" || packages.rpm == "" {
			packages.err = errors.New("build.sh printed no .deb and .rpm (or version.sh failed): " + string(out) + stderr.String())
		}
	})
	if packages.err != nil {
		t.Fatal(packages.err)
	}
	return packages
}

// rpmExtract unpacks an .rpm's payload (rpm2cpio | cpio) into a new directory
// and returns it. Member names are "/usr/..." from rpm2cpio up to rpm 4.19
// (nFPM writes them so) and "./usr/..." from rpm 4.20 on (Debian 13), which
// regenerates the archive: --no-absolute-filenames extracts both below the
// directory, so DIR/usr/... is the file either way.
func rpmExtract(t *testing.T, rpm string) string {
	t.Helper()
	requireTool(t, "rpm2cpio")
	requireTool(t, "cpio")
	dir := t.TempDir()
	run(t, nil, "sh", "-c", `cd "$1" && rpm2cpio "$0" | cpio --quiet -idm --no-absolute-filenames`, rpm, dir)
	return dir
}

// treeEntries lists everything below root (files, directories, links) as
// relative paths with their type and mode, to compare a tree before and
// after an operation.
func treeEntries(t *testing.T, root string) map[string]string {
	t.Helper()
	entries := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		entries[rel] = info.Mode().String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
