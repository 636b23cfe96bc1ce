package contrib

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The plugins this directory deploys, as named in cmd/.
var plugins = []string{"check_firewalld_mail", "check_fail2ban_trusted", "check_imaps_tls"}

// Where the configs expect the plugins (Debian's and Fedora's PluginDir).
const pluginDir = "/usr/lib/nagios/plugins"

var (
	buildOnce sync.Once
	binDir    string // built plugins, world-readable: NRPE runs them as nagios
	buildErr  = map[string]error{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// goTool finds the go command: `go test` does not always put it on PATH.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	for _, p := range []string{os.Getenv("GOROOT") + "/bin/go", "/usr/local/go/bin/go"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

// pluginBin builds all plugins once per test run (in parallel) and returns
// the path of one. A plugin that does not build fails only the tests that use
// it, with the compiler's message.
func pluginBin(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mailchecks-contrib-bin-")
		if err == nil {
			err = os.Chmod(dir, 0o755)
		}
		if err != nil {
			for _, p := range plugins {
				buildErr[p] = err
			}
			return
		}
		binDir = dir
		var wg sync.WaitGroup
		var mu sync.Mutex
		root, _ := filepath.Abs("..")
		for _, p := range plugins {
			wg.Add(1)
			go func(p string) {
				defer wg.Done()
				cmd := exec.Command(goTool(), "build", "-o", filepath.Join(dir, p), "./cmd/"+p)
				cmd.Dir = root
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
				out, err := cmd.CombinedOutput()
				if err != nil {
					mu.Lock()
					buildErr[p] = fmt.Errorf("go build ./cmd/%s: %v\n%s", p, err, out)
					mu.Unlock()
				}
			}(p)
		}
		wg.Wait()
	})
	if err := buildErr[name]; err != nil {
		t.Fatalf("plugin %s is missing or does not build (it must exist in cmd/%s): %v", name, name, err)
	}
	return filepath.Join(binDir, name)
}

// requireRoot fails (never skips) a test that needs root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (namespaces, sudo -U, daemons dropping to nagios); run `make test` as root, as CI does")
	}
}

// debPackage names the Debian package of each program the tests run.
var debPackage = map[string]string{
	"icinga2": "icinga2-bin", "/usr/sbin/nrpe": "nagios-nrpe-server", pluginDir + "/check_nrpe": "nagios-nrpe-plugin",
	"/usr/bin/sudo": "sudo", "/usr/sbin/visudo": "sudo", "systemd-analyze": "systemd",
	"unshare": "util-linux", "setpriv": "util-linux", "dbus-daemon": "dbus", "dbus-send": "dbus",
	"/usr/lib/polkit-1/polkitd": "polkitd", "firewalld": "firewalld", "firewall-cmd": "firewalld",
}

// requireTool fails with the `make deps` hint when a program is missing.
func requireTool(t *testing.T, path string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err != nil {
		pkg := debPackage[path]
		if pkg == "" {
			pkg = "that provides it"
		}
		t.Fatalf("%s: %v: install the Debian package %s (`make deps`, as root, installs the test dependencies)", path, err, pkg)
	}
	return p
}

// worldDir is a scratch directory the nagios user can read and traverse
// (t.TempDir's parents are 0700).
func worldDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mailchecks-contrib-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask-proof
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nagios returns the uid and gid of the user NRPE and the Icinga agent run
// the plugins as on Debian.
func nagios(t *testing.T) (uid, gid uint32) {
	t.Helper()
	u, err := user.Lookup("nagios")
	if err != nil {
		t.Fatalf("user nagios: %v: it comes with nagios-nrpe-server and icinga2-bin; run `make deps` (as root)", err)
	}
	id, _ := strconv.Atoi(u.Uid)
	g, _ := strconv.Atoi(u.Gid)
	return uint32(id), uint32(g)
}

// chownNagios hands a directory to nagios (Icinga's cache dir, NRPE's).
func chownNagios(t *testing.T, path string) {
	t.Helper()
	uid, gid := nagios(t)
	if err := os.Chown(path, int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
}

// result is one run of a program: exit code and output.
type result struct {
	code   int
	stdout string
	stderr string
}

// firstLine is a plugin's status line without perfdata.
func (r result) firstLine() string {
	l, _, _ := strings.Cut(r.stdout, "\n")
	l, _, _ = strings.Cut(l, "|")
	return strings.TrimSpace(l)
}

// run executes argv with a deadline; asNagios drops to the nagios user as
// NRPE and the Icinga agent do. env replaces the environment when not nil.
func run(t *testing.T, asNagios bool, env []string, stdin string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if asNagios {
		uid, gid := nagios(t)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}
	}
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", strings.Join(argv, " "), err, r.stdout, r.stderr)
	}
	return r
}

// flagInfo is one flag as a plugin's --help lists it.
type flagInfo struct {
	long, short string
	takesValue  bool   // --x=VALUE rather than a switch
	repeatable  bool   // kong prints slices as VALUE,...
	help        string // the description, joined
}

// common flags every plugin has (internal/plugin.CommonFlags) and that the
// deployment files wire once or not at all.
var commonFlags = map[string]bool{"--help": true, "--version": true, "--timeout": true, "--verbose": true}

// A flag line in kong's help: two spaces, then "-x, " or four spaces, then
// the long name. Wrapped description lines are indented further.
var helpFlagLine = regexp.MustCompile(`^  (?:(-[A-Za-z0-9]), |    )(--[a-z0-9][a-z0-9-]*)(=(\S+))?\s*(.*)$`)

// helpFlags runs `plugin --help` and returns its flags by long and short name.
func helpFlags(t *testing.T, bin string) map[string]*flagInfo {
	t.Helper()
	r := run(t, false, nil, "", bin, "--help")
	if r.code != 0 {
		t.Fatalf("%s --help exited %d: %s%s", bin, r.code, r.stdout, r.stderr)
	}
	flags := map[string]*flagInfo{}
	var last *flagInfo
	inFlags := false
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.TrimSpace(line) == "Flags:" {
			inFlags = true
			continue
		}
		if !inFlags {
			continue
		}
		if m := helpFlagLine.FindStringSubmatch(line); m != nil {
			last = &flagInfo{long: m[2], short: m[1], takesValue: m[3] != "",
				repeatable: strings.HasSuffix(m[4], ",..."), help: m[5]}
			flags[last.long] = last
			if last.short != "" {
				flags[last.short] = last
			}
			continue
		}
		if last != nil && strings.TrimSpace(line) != "" {
			last.help += " " + strings.TrimSpace(line)
		}
	}
	if flags["--help"] == nil || flags["--timeout"] == nil {
		t.Fatalf("could not parse %s --help (no --help/--timeout flag lines):\n%s", bin, r.stdout)
	}
	return flags
}

// cmdFlags returns the flags named on a command line (tokens starting with
// -), without their values.
func cmdFlags(args []string) []string {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			name, _, _ := strings.Cut(a, "=")
			out = append(out, name)
		}
	}
	return out
}

// sortedKeys gives maps a stable order, for command lines and messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
