package docs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestShownPluginCommandsParse runs every plugin invocation a reader is
// shown (README.md, docs/*.md, contrib/ comments) through the real binary,
// with the arguments as shown: every flag must exist, every value parse,
// and the combination pass the plugin's own argument checks. Each runs in
// a network namespace of its own with nothing in it (no route, no
// listener, no resolver reachable), so a check fails fast on the network
// and the answer is a check result, never a usage error.
func TestShownPluginCommandsParse(t *testing.T) {
	if err := sandbox.RequireRoot("a network namespace per shown command"); err != nil {
		t.Fatal(err)
	}
	bins := buildPlugins(t)
	iniFile := writeDocINI(t)
	var last map[string][]string // plugin → args of the previous invocation shown in the same file
	lastFile := ""
	ran := map[string]int{}
	for _, s := range shownCommands(t) {
		if len(s.argv) == 0 || !isPlugin(s.argv[0]) {
			continue
		}
		file, _, _ := strings.Cut(s.where, ":")
		if file != lastFile {
			last, lastFile = map[string][]string{}, file
		}
		name := filepath.Base(s.argv[0])
		args, err := concreteArgs(s.argv[1:], last[name], iniFile)
		if err != nil {
			t.Errorf("%s: %s: %v", s.where, s.text, err)
			continue
		}
		last[name] = args
		out, code := runIsolated(t, bins[name], s.env, args)
		if err := judge(args, out, code); err != nil {
			t.Errorf("%s: %s\n  %v\n  exit %d: %s", s.where, s.text, err, code, firstLine(out))
			continue
		}
		ran[name]++
	}
	t.Logf("plugin invocations run: %v", ran)
	for _, p := range plugins {
		if ran[p] == 0 {
			t.Errorf("no shown invocation of %s was run: the extraction no longer finds the examples", p)
		}
	}
}

// TestJudgeRefusesUsageErrors: a shown command with an unknown flag, a
// value that does not parse, or flags the plugin refuses together fails
// the test above; a check result (even UNKNOWN about a missing file) and
// --help pass.
func TestJudgeRefusesUsageErrors(t *testing.T) {
	if err := sandbox.RequireRoot("a network namespace per command"); err != nil {
		t.Fatal(err)
	}
	bins := buildPlugins(t)
	for _, c := range []struct {
		plugin string
		args   []string
		ok     bool
	}{
		{"check_imaps_tls", []string{"-H", "mail.example.org", "--no-such-flag"}, false},
		{"check_imaps_tls", []string{"-H", "mail.example.org", "-w", "soon"}, false},
		{"check_imaps_tls", []string{"-H", "mail.example.org", "--select", "INBOX"}, false},
		{"check_smtp_tls", []string{"-H", "mail.example.org", "--implicit-tls", "--starttls"}, false},
		{"check_fail2ban_trusted", []string{"--ip", "not-an-address"}, false},
		{"check_firewalld_mail", []string{"--drift", "sometimes"}, false},
		{"check_imaps_tls", []string{"-H", "mail.example.org", "--ca-file", "/nonexistent/ca.pem"}, true},
		{"check_fail2ban_trusted", []string{"--help"}, true},
	} {
		out, code := runIsolated(t, bins[c.plugin], nil, c.args)
		err := judge(c.args, out, code)
		if (err == nil) != c.ok {
			t.Errorf("%s %s: judged %v, want ok=%v (exit %d: %s)", c.plugin, strings.Join(c.args, " "), err, c.ok, code, firstLine(out))
		}
	}
}

// usageErrors are what the plugins answer to arguments that cannot work
// together or cannot be parsed (internal/plugin/run.go's "bad arguments",
// and the checks' own argument checks), as opposed to what they answer
// about the host or the network.
var usageErrors = regexp.MustCompile(`bad arguments:|needs --|exclude each other|is not a TCP port|want 1 to 65535|want a host name or address|is not an IPv4 or IPv6 address|--unlisted:|never taken from the command line|no option --`)

var checkResult = regexp.MustCompile(`^(OK|WARNING|CRITICAL|UNKNOWN)[: ]`)

// judge says whether a run was a check result (or --help/--version output)
// rather than a usage error.
func judge(args []string, out string, code int) error {
	if m := usageErrors.FindString(out); m != "" {
		return fmt.Errorf("a usage error (%q)", m)
	}
	for _, a := range args {
		if a == "--help" || a == "-h" || a == "-V" || a == "--version" {
			if code != 0 || out == "" {
				return fmt.Errorf("%s: exit %d, want 0 with output", a, code)
			}
			return nil
		}
	}
	if code < 0 || code > 3 || !checkResult.MatchString(out) {
		return fmt.Errorf("not a check result (exit %d)", code)
	}
	return nil
}

// concreteArgs makes shown arguments runnable: a lone "…" right after the
// plugin name means "as the previous command" (output samples shorten
// repeats so), a last one "and further arguments" (dropped);
// /etc/nagios/mailchecks.ini is the docs' own ini example. Any other lone
// "…" is a placeholder the reader cannot type.
func concreteArgs(args, previous []string, iniFile string) ([]string, error) {
	var out []string
	for i, a := range args {
		switch {
		case a == "…" && i == 0 && previous != nil:
			out = append(out, previous...)
		case a == "…" && i == len(args)-1:
			// "and further arguments": what is shown must parse alone
		case a == "…":
			return nil, errors.New("a lone … where an argument belongs: show a value a reader can type")
		default:
			out = append(out, strings.ReplaceAll(a, "/etc/nagios/mailchecks.ini", iniFile))
		}
	}
	return out, nil
}

// writeDocINI writes docs/icinga-nrpe.md's ```ini example (the file the
// --extra-opts examples name) to a file of the mode it asks for.
func writeDocINI(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("icinga-nrpe.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```ini\n")
	if !ok {
		t.Fatal("docs/icinga-nrpe.md has no ```ini block (the --extra-opts example)")
	}
	block, _, _ := strings.Cut(rest, "```")
	path := filepath.Join(t.TempDir(), "mailchecks.ini")
	if err := os.WriteFile(path, []byte(block), 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

// runIsolated runs bin in a new, empty network namespace (only a loopback
// that is down): names do not resolve, nothing answers, no packet leaves.
func runIsolated(t *testing.T, bin string, env, args []string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "HOME=" + t.TempDir()}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s: %v", bin, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after 30s", bin, strings.Join(args, " "))
	}
	return b.String(), cmd.ProcessState.ExitCode()
}

var built = map[string]string{}

// buildPlugins builds the plugins once per test binary.
func buildPlugins(t *testing.T) map[string]string {
	t.Helper()
	if len(built) == len(plugins) {
		return built
	}
	dir, err := os.MkdirTemp("", "mailchecks-docs-bin-")
	if err != nil {
		t.Fatal(err)
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	cmd := exec.Command(sandbox.GoTool(), "build", "-o", dir+"/", "./cmd/...")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/...: %v\n%s", err, out)
	}
	for _, p := range plugins {
		built[p] = filepath.Join(dir, p)
	}
	return built
}

var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
