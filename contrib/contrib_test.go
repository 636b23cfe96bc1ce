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

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// The plugins this directory deploys, as named in cmd/.
var plugins = []string{"check_firewalld_mail", "check_fail2ban_trusted", "check_imaps_tls", "check_smtp_tls"}

// Where the configs expect the plugins: Debian's PluginDir, and Fedora/RHEL's,
// which the sudoers rules and nrpe/mailchecks-fedora.cfg name as well.
const (
	pluginDir       = "/usr/lib/nagios/plugins"
	fedoraPluginDir = "/usr/lib64/nagios/plugins"
)

// monitoringGroup is the group the sudoers rule, the polkit rule and the ACLs
// grant, so that they fit every distribution's monitoring user
// (docs/privileges.md): nagios on Debian, nrpe and icinga on Fedora/RHEL.
const monitoringGroup = "mailchecks"

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

// goTool finds the go command (sandbox.GoTool).
func goTool() string { return sandbox.GoTool() }

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

// debPackage names the Debian package of each program the tests run.
var debPackage = map[string]string{
	"icinga2": "icinga2-bin", "/usr/sbin/nrpe": "nagios-nrpe-server", pluginDir + "/check_nrpe": "nagios-nrpe-plugin",
	"/usr/bin/sudo": "sudo", "/usr/sbin/visudo": "sudo", "systemd-analyze": "systemd",
	"unshare": "util-linux", "setpriv": "util-linux", "dbus-daemon": "dbus", "dbus-send": "dbus",
	"/usr/lib/polkit-1/polkitd": "polkitd", "firewalld": "firewalld", "firewall-cmd": "firewalld",
	"/usr/sbin/groupadd": "passwd", "/usr/sbin/usermod": "passwd", "setfacl": "acl",
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
	return account(t, "nagios", "it comes with nagios-nrpe-server and icinga2-bin; run `make deps` (as root)")
}

// account returns a user's uid and primary gid.
func account(t *testing.T, name, hint string) (uid, gid uint32) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("user %s: %v: %s", name, err, hint)
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

// groupDB is /etc/group for the tests' private mount namespaces (bound over
// /etc/group there; the host's is never changed).
type groupDB struct {
	with    string // after docs/privileges.md's groupadd and usermod: mailchecks, nagios in it
	without string // the host's, less any mailchecks group
	gid     uint32 // mailchecks' gid in with
}

// mailchecksGroup runs exactly docs/privileges.md's
//
//	groupadd --system mailchecks
//	usermod -aG mailchecks nagios
//
// with the real tools on copies of the account files (--prefix), and returns
// the resulting group file and one without the group.
func mailchecksGroup(t *testing.T) groupDB {
	t.Helper()
	sandbox.FailUnlessRoot(t, "namespaces, sudo -U, daemons dropping to nagios")
	groupadd := requireTool(t, "/usr/sbin/groupadd")
	usermod := requireTool(t, "/usr/sbin/usermod")
	nagios(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "prefix")
	strip := regexp.MustCompile(`(?m)^` + monitoringGroup + `:.*\n`)
	for _, f := range []string{"passwd", "shadow", "group", "gshadow"} {
		b, err := os.ReadFile(filepath.Join("/etc", f))
		if errors.Is(err, os.ErrNotExist) && f == "gshadow" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(prefix, "etc", f), strip.ReplaceAllString(string(b), ""), 0o600)
	}
	db := groupDB{with: filepath.Join(prefix, "etc", "group"), without: filepath.Join(dir, "group-without")}
	writeFile(t, db.without, readFile(t, db.with), 0o644)
	for _, argv := range [][]string{
		{groupadd, "--prefix", prefix, "--system", monitoringGroup},
		{usermod, "--prefix", prefix, "-aG", monitoringGroup, "nagios"},
	} {
		if r := run(t, false, nil, "", argv...); r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", strings.Join(argv, " "), r.code, r.stdout, r.stderr)
		}
	}
	if err := os.Chmod(db.with, 0o644); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + monitoringGroup + `:[^:]*:([0-9]+):(.*)$`).FindStringSubmatch(readFile(t, db.with))
	if m == nil || !strings.Contains(","+m[2]+",", ",nagios,") {
		t.Fatalf("groupadd/usermod did not leave %s with nagios in it:\n%s", monitoringGroup, readFile(t, db.with))
	}
	gid, _ := strconv.Atoi(m[1])
	db.gid = uint32(gid)
	return db
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
// NRPE and the Icinga agent do (without supplementary groups: runAs gives
// them). env replaces the environment when not nil.
func run(t *testing.T, asNagios bool, env []string, stdin string, argv ...string) result {
	t.Helper()
	if asNagios {
		uid, gid := nagios(t)
		return runAs(t, &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}, env, stdin, argv...)
	}
	return runAs(t, nil, env, stdin, argv...)
}

// runAs is run as the given credential (nil: as we are).
func runAs(t *testing.T, cred *syscall.Credential, env []string, stdin string, argv ...string) result {
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
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
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

// argvRefusedFlags are flags a plugin refuses on its command line (secrets:
// only from an --extra-opts file), so no CheckCommand may set them.
var argvRefusedFlags = map[string]bool{"--password": true}

// A flag line in kong's help: two spaces, then "-x, " or four spaces, then
// the long name. Wrapped description lines are indented further.
// A negatable switch, on by default, is listed as "--[no-]name": what a
// deployment sets is --no-name.
var helpFlagLine = regexp.MustCompile(`^  (?:(-[A-Za-z0-9]), |    )(--(?:\[no-\])?[a-z0-9][a-z0-9-]*)(=(\S+))?\s*(.*)$`)

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
			long := strings.Replace(m[2], "[no-]", "no-", 1)
			last = &flagInfo{long: long, short: m[1], takesValue: m[3] != "",
				repeatable: strings.HasSuffix(m[4], ",..."), help: m[5]}
			flags[last.long] = last
			if long != m[2] {
				flags[strings.Replace(m[2], "[no-]", "", 1)] = last // the positive form, the default
			}
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
