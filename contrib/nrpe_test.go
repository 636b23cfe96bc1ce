package contrib

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

var reNRPECommand = regexp.MustCompile(`(?m)^command\[([^\]]+)\]=(.*)$`)

// nrpeCommands reads contrib/nrpe/mailchecks.cfg: command name → argv.
func nrpeCommands(t *testing.T) map[string][]string {
	t.Helper()
	return nrpeCommandsOf(t, "nrpe/mailchecks.cfg")
}

// nrpeCommandsOf reads one NRPE command file: command name → argv.
func nrpeCommandsOf(t *testing.T, file string) map[string][]string {
	t.Helper()
	cmds := map[string][]string{}
	for _, m := range reNRPECommand.FindAllStringSubmatch(readFile(t, file), -1) {
		if strings.ContainsAny(m[2], `"'$\`+"`") {
			t.Errorf("command[%s]: keep the lines free of quotes and $ (NRPE splits on spaces): %s", m[1], m[2])
		}
		cmds[m[1]] = strings.Fields(m[2])
	}
	return cmds
}

// TestNRPECommandsMatchPlugins: one command per plugin, at the installed
// path, using only flags the plugin has.
func TestNRPECommandsMatchPlugins(t *testing.T) {
	cmds := nrpeCommands(t)
	if len(cmds) != len(plugins) {
		t.Errorf("mailchecks.cfg has %d commands, want one per plugin", len(cmds))
	}
	for _, p := range plugins {
		t.Run(p, func(t *testing.T) {
			argv := cmds[p]
			if argv == nil {
				t.Fatalf("no command[%s] in mailchecks.cfg", p)
			}
			if argv[0] != pluginDir+"/"+p {
				t.Errorf("command[%s] runs %s, want %s/%s", p, argv[0], pluginDir, p)
			}
			flags := helpFlags(t, pluginBin(t, p))
			for _, f := range cmdFlags(argv[1:]) {
				if flags[f] == nil {
					t.Errorf("command[%s] uses %s, which %s --help does not list", p, f, p)
				}
			}
		})
	}
}

// TestNRPEFedoraFileMatches: Fedora/RHEL's mailchecks-fedora.cfg has the
// same commands as Debian's mailchecks.cfg (which the other tests check
// flag by flag), each path under /usr/lib64/nagios/plugins instead.
func TestNRPEFedoraFileMatches(t *testing.T) {
	debian := nrpeCommands(t)
	fedora := nrpeCommandsOf(t, "nrpe/mailchecks-fedora.cfg")
	if len(fedora) != len(debian) {
		t.Errorf("mailchecks-fedora.cfg has %d commands, mailchecks.cfg %d", len(fedora), len(debian))
	}
	for name, argv := range debian {
		want := strings.ReplaceAll(strings.Join(argv, " "), pluginDir+"/", fedoraPluginDir+"/")
		got := strings.Join(fedora[name], " ")
		if got != want {
			t.Errorf("mailchecks-fedora.cfg command[%s]:\n  %s\nwant (mailchecks.cfg's, Fedora's plugin directory):\n  %s", name, got, want)
		}
		if strings.Contains(got, pluginDir+"/") {
			t.Errorf("mailchecks-fedora.cfg command[%s] names Debian's %s", name, pluginDir)
		}
	}
}

// withFlags returns argv with each flag of set given the value (replacing any
// occurrence, as --flag v or --flag=v), flags in drop removed with their
// value, and the binary moved to dir.
func withFlags(argv []string, dir string, set map[string]string, drop ...string) []string {
	out := []string{filepath.Join(dir, filepath.Base(argv[0]))}
	skip := map[string]bool{}
	for f := range set {
		skip[f] = true
	}
	for _, f := range drop {
		skip[f] = true
	}
	for i := 1; i < len(argv); i++ {
		name, _, hasEq := strings.Cut(argv[i], "=")
		if skip[name] {
			if !hasEq && i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
				i++ // its value
			}
			continue
		}
		out = append(out, argv[i])
	}
	for _, f := range sortedKeys(set) {
		if set[f] == "" {
			out = append(out, f) // a switch
		} else {
			out = append(out, f, set[f])
		}
	}
	return out
}

// TestNRPEPassesResultsThrough runs mailchecks.cfg's commands in a real nrpe
// (as nagios, Debian's build, no TLS) and asks with the real check_nrpe. Each
// command is the shipped line with the binary moved to the test build and a
// few values pointed at something deterministic; the exit code and status
// line must be what the plugin gives when run directly as nagios.
func TestNRPEPassesResultsThrough(t *testing.T) {
	sandbox.FailUnlessRoot(t, "namespaces, sudo -U, daemons dropping to nagios")
	nrpe := requireTool(t, "/usr/sbin/nrpe")
	checkNRPE := requireTool(t, pluginDir+"/check_nrpe")
	cmds := nrpeCommands(t)
	for _, p := range plugins {
		pluginBin(t, p)
	}
	dir := worldDir(t)
	chownNagios(t, dir)

	closed, err := sandbox.FreePort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	// A permanent config whose zone file is malformed: the plugin must say
	// UNKNOWN, never judge a config it could not read.
	fwEtc := filepath.Join(dir, "firewalld")
	writeFile(t, filepath.Join(fwEtc, "firewalld.conf"), "DefaultZone=public\n", 0o644)
	writeFile(t, filepath.Join(fwEtc, "zones", "public.xml"), "<zone><service name=\"imaps\"", 0o644)

	cases := []struct {
		name     string
		argv     []string
		code     int
		prefix   string
		contains string
	}{
		{"check_imaps_tls", withFlags(cmds["check_imaps_tls"], binDir,
			map[string]string{"--host": "127.0.0.1", "--port": strconv.Itoa(closed), "--timeout": "5"},
			"--sni", "--cert-file"), 2, "CRITICAL:", "refused"},
		{"check_smtp_tls", withFlags(cmds["check_smtp_tls"], binDir,
			map[string]string{"--host": "127.0.0.1", "--port": strconv.Itoa(closed), "--timeout": "5"},
			"--sni", "--cert-file"), 2, "CRITICAL:", "refused"},
		{"check_fail2ban_trusted", withFlags(cmds["check_fail2ban_trusted"], binDir,
			map[string]string{"--backend": "socket", "--socket": filepath.Join(dir, "no-such-fail2ban.sock")},
			"--sudo", "--fail2ban-client"), 3, "UNKNOWN:", "does not exist"},
		{"check_firewalld_mail", withFlags(cmds["check_firewalld_mail"], binDir,
			map[string]string{"--config-dir": fwEtc, "--default-config-dir": "/usr/lib/firewalld",
				"--runtime-source": "cli", "--firewall-cmd": filepath.Join(dir, "no-such-firewall-cmd")}),
			3, "UNKNOWN:", "INVALID_ZONE: not a valid zone file"},
	}

	port, err := sandbox.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `# written by contrib/nrpe_test.go
pid_file=%s/nrpe.pid
server_address=127.0.0.1
server_port=%d
nrpe_user=nagios
nrpe_group=nagios
allowed_hosts=127.0.0.1
dont_blame_nrpe=0
allow_bash_command_substitution=0
command_timeout=30
connection_timeout=60
disable_syslog=1
log_file=%s/nrpe.log
`, dir, port, dir)
	for _, c := range cases {
		fmt.Fprintf(&cfg, "command[%s]=%s\n", c.name, strings.Join(c.argv, " "))
	}
	cfgPath := filepath.Join(dir, "nrpe.cfg")
	writeFile(t, cfgPath, cfg.String(), 0o644)

	proc, err := sandbox.StartProcess("nrpe", filepath.Join(dir, "nrpe.out"), nil, nrpe, "-c", cfgPath, "-f", "-n")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Stop)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := proc.WaitFor(10*time.Second, "listening on "+addr, sandbox.TCPReady(addr)); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "nrpe.log"))
		t.Fatalf("%v\nnrpe.log:\n%s", err, log)
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			direct := run(t, true, []string{"PATH=/usr/bin:/bin"}, "", c.argv...)
			if direct.code != c.code || !strings.HasPrefix(direct.firstLine(), c.prefix) || !strings.Contains(direct.stdout, c.contains) {
				t.Fatalf("run directly as nagios: exit %d, want %d %s …%s…:\n%s%s", direct.code, c.code, c.prefix, c.contains, direct.stdout, direct.stderr)
			}
			got := run(t, false, nil, "", checkNRPE, "-n", "-H", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "30", "-c", c.name)
			if got.code != direct.code {
				t.Errorf("check_nrpe exited %d, the plugin %d:\n%s", got.code, direct.code, got.stdout)
			}
			if got.firstLine() != direct.firstLine() {
				t.Errorf("status line through NRPE:\n  %q\nrun directly:\n  %q", got.firstLine(), direct.firstLine())
			}
		})
	}
}
