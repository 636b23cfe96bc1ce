package firewalld

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"go.uber.org/goleak"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// The hostile matrix, in process: each broken file, hanging firewall-cmd
// or vanishing D-Bus peer gets its state within the deadline plus one
// second, one clear first line, and leaves no goroutine and no file
// descriptor behind (cmd/check_firewalld_mail/hostile_test.go runs the
// binary against the same peers and looks for leftover processes).

const hostileTimeout = 1500 * time.Millisecond

// hostileCheck runs Check against cfg and asserts the bounds every case
// shares (boundedCheck) and that no goroutine or fd is left behind.
func hostileCheck(t *testing.T, cfg Config) plugin.Result {
	t.Helper()
	fds := sandbox.OpenFDs(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	r := boundedCheck(t, cfg)
	if after := sandbox.OpenFDs(t); after != fds {
		t.Errorf("open file descriptors: %d before the check, %d after", fds, after)
	}
	return r
}

// boundedCheck runs Check with the hostile deadline: in time, one line,
// never OK.
func boundedCheck(t *testing.T, cfg Config) plugin.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	start := time.Now()
	// A check that hangs fails the test instead of hanging it.
	done := make(chan plugin.Result, 1)
	go func() { done <- Check(ctx, remote.Local{}, cfg) }()
	var r plugin.Result
	select {
	case r = <-done:
	case <-time.After(hostileTimeout + 2*time.Second):
		t.Fatalf("Check still running %v after its %v deadline", 2*time.Second, hostileTimeout)
	}
	if took := time.Since(start); took > hostileTimeout+time.Second {
		t.Errorf("took %v with a %v deadline", took, hostileTimeout)
	}
	// judged as rendered: the first line of output is the sanitized summary
	r.Summary = plugin.Sanitize(r.Summary)
	if r.State() == plugin.OK || r.Summary == "" {
		t.Errorf("want a non-OK first line, got %v %q", r.State(), r.Summary)
	}
	return r
}

func sandboxConfig(busAddress, configDir, defaultDir string) Config {
	return Config{Family: "both", Services: ruleset.DefaultServices, RuntimeSource: "dbus", BusAddress: busAddress,
		FirewallCmd: "/usr/bin/firewall-cmd", Dirs: fwconfig.Dirs{ConfigDir: configDir, DefaultDir: defaultDir}, Drift: plugin.Warning}
}

func wantResult(t *testing.T, r plugin.Result, state plugin.State, first string) {
	t.Helper()
	if r.State() != state || !strings.Contains(r.Summary, first) {
		t.Errorf("got %v %q, want %v containing %q", r.State(), r.Summary, state, first)
	}
}

// TestHostileConfigFiles breaks the admin's public.xml (and a service
// file) in the ways a disk, an editor or an attacker can while firewalld
// runs healthy with every mail service open.
func TestHostileConfigFiles(t *testing.T) {
	fw := startFirewalld(t)
	if err := fw.OpenPermanently(ruleset.DefaultServices...); err != nil {
		t.Fatal(err)
	}
	cfg := sandboxConfig(fw.BusAddress, fw.ConfigDir, fw.DefaultDir)
	zone := filepath.Join(fw.ConfigDir, "zones", "public.xml")
	good, err := os.ReadFile(zone)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if r := Check(ctx, remote.Local{}, cfg); r.State() != plugin.OK {
		t.Fatalf("healthy baseline is %v %q", r.State(), r.Summary)
	}
	cancel()

	write := func(path string, data []byte) func(t *testing.T) {
		return func(t *testing.T) {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	huge := []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n<zone>\n" +
		strings.Repeat(`  <service name="imaps"/>`+"\n", 50<<20/26) + "</zone>\n")
	for _, tc := range []struct {
		name  string
		path  string
		setup func(t *testing.T)
		state plugin.State
		first string
	}{
		{"zone not XML", zone, write(zone, []byte("DefaultZone=public\nthis is no XML at all\n")),
			plugin.Warning, "1 permanent config file firewalld would refuse: the next reload fails"}, // INVALID_ZONE: not a valid zone file: line 3: text
		{"zone binary garbage", zone, write(zone, []byte("\x00\xff\xfe<zone\x00>\x1b[2J")),
			plugin.Warning, "1 permanent config file firewalld would refuse: the next reload fails"}, // INVALID_ZONE: not a valid zone file: line 1: not well-formed
		{"zone empty", zone, write(zone, nil),
			plugin.Warning, "1 permanent config file firewalld would refuse: the next reload fails"}, // INVALID_ZONE: not a valid zone file: no element found
		{"service not XML", filepath.Join(fw.ConfigDir, "services", "imaps.xml"),
			write(filepath.Join(fw.ConfigDir, "services", "imaps.xml"), []byte("port=993/tcp\n")),
			plugin.Warning, "1 permanent config file firewalld would refuse: the next reload fails"},
		{"zone is a FIFO", zone, func(t *testing.T) {
			os.Remove(zone)
			if err := syscall.Mkfifo(zone, 0o644); err != nil {
				t.Fatal(err)
			}
		}, plugin.Unknown, "permanent config unreadable: " + zone + ": not a regular file"},
		{"zone is a directory", zone, func(t *testing.T) {
			os.Remove(zone)
			if err := os.Mkdir(zone, 0o755); err != nil {
				t.Fatal(err)
			}
		}, plugin.Unknown, "permanent config unreadable: " + zone + ": not a regular file"},
		{"zone is /dev/zero", zone, func(t *testing.T) {
			os.Remove(zone)
			if err := os.Symlink("/dev/zero", zone); err != nil {
				t.Fatal(err)
			}
		}, plugin.Unknown, "permanent config unreadable: " + zone + ": not a regular file"},
		{"zone of 50 MB", zone, write(zone, huge), plugin.Unknown, "permanent config unreadable: " + zone + ": too large for this check"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() {
				os.RemoveAll(tc.path)
				if tc.path == zone {
					os.WriteFile(zone, good, 0o644)
				}
			})
			tc.setup(t)
			r := hostileCheck(t, cfg)
			wantResult(t, r, tc.state, tc.first)
			t.Logf("%v: %s", r.State(), r.Summary)
		})
	}
}

// TestHostileFirewallCmdHangs: a firewall-cmd (or sudo wrapper) that never
// answers and has a child of its own. The check gives UNKNOWN naming the
// timeout, and neither the script nor its child outlives it. A child that
// escaped the process group (setsid) cannot be reached by the group kill,
// but it must not hold the check past its deadline by keeping stdout open.
func TestHostileFirewallCmdHangs(t *testing.T) {
	for _, escape := range []bool{false, true} {
		t.Run("escape="+strconv.FormatBool(escape), func(t *testing.T) {
			dir := t.TempDir()
			script, pidFiles, err := sandbox.HangingCommand(dir, "firewall-cmd", escape)
			if err != nil {
				t.Fatal(err)
			}
			cfg := sandboxConfig("unix:path="+filepath.Join(dir, "nobus"), filepath.Join(dir, "etc"), "/usr/lib/firewalld")
			cfg.RuntimeSource, cfg.FirewallCmd = "cli", script
			r := hostileCheck(t, cfg)
			wantResult(t, r, plugin.Unknown, "runtime config unreadable: "+script+" --list-all: "+script+": no answer: timed out")
			if escape {
				// out of the group by design: only the script is ours
				defer sandbox.ProcessGone(pidFiles[1], 0)
				pidFiles = pidFiles[:1]
			}
			for _, f := range pidFiles {
				if err := sandbox.ProcessGone(f, time.Second); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestHostileDBusPeer: a peer owns firewalld's name on the sandbox bus
// and answers getDefaultZone as no firewalld does: it disconnects without
// replying (firewalld killed mid-call: CRITICAL not running, as stopped),
// never replies, replies with the wrong type, or with a multi-line error
// (UNKNOWN naming the call). Each in time, on one line, never OK, and the
// check leaves no goroutine or fd behind.
func TestHostileDBusPeer(t *testing.T) {
	fw := startFirewalld(t)
	if err := fw.OpenPermanently(ruleset.DefaultServices...); err != nil {
		t.Fatal(err)
	}
	fw.StopDaemon()
	cfg := sandboxConfig(fw.BusAddress, fw.ConfigDir, fw.DefaultDir)
	const unreadable = "runtime config unreadable: D-Bus getDefaultZone: "
	for _, tc := range []struct {
		mode   string
		method func(called, release chan struct{}) any
		first  string
		state  plugin.State
	}{
		// The bus says NoReply and firewalld's name has no owner left:
		// as a stopped firewalld, CRITICAL.
		{"vanishes mid-call", blockingMethod, "firewalld is not running", plugin.Critical},
		{"never replies", blockingMethod, unreadable + "no answer from firewalld: timed out", plugin.Unknown},
		{"wrong type", func(called, _ chan struct{}) any {
			return func() (uint32, *dbus.Error) { close(called); return 42, nil }
		}, "runtime config unreadable: D-Bus get", plugin.Unknown},
		{"multi-line error", func(called, _ chan struct{}) any {
			return func() (string, *dbus.Error) {
				close(called)
				return "", dbus.NewError("org.fedoraproject.FirewallD1.Exception", []any{"first\nsecond\x1b[2J"})
			}
		}, unreadable + "first second", plugin.Unknown},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			fds := sandbox.OpenFDs(t)
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			called, release := make(chan struct{}), make(chan struct{})
			defer close(release)
			peer := fakeFirewalld(t, fw.BusAddress, tc.method(called, release))
			if tc.mode == "vanishes mid-call" {
				go func() {
					<-called
					peer.Close() // gone mid-call, its reply never sent
				}()
			}
			r := boundedCheck(t, cfg)
			select {
			case <-called:
			default:
				t.Fatalf("the check never reached the peer: %v %q", r.State(), r.Summary)
			}
			wantResult(t, r, tc.state, tc.first)
			t.Logf("%v: %s", r.State(), r.Summary)
			peer.Close()
			if after := sandbox.OpenFDs(t); after != fds {
				t.Errorf("open file descriptors: %d before, %d after", fds, after)
			}
		})
	}
}

// blockingMethod says it was called, then holds its reply until release.
func blockingMethod(called, release chan struct{}) any {
	return func() (string, *dbus.Error) {
		close(called)
		<-release
		return "public", nil
	}
}

// fakeFirewalld owns firewalld's name on the bus with getDefaultZone as
// method.
func fakeFirewalld(t *testing.T, address string, method any) *dbus.Conn {
	t.Helper()
	peer, err := dbus.Connect(address)
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.ExportMethodTable(map[string]any{"getDefaultZone": method}, objectPath, ifaceMain); err != nil {
		t.Fatal(err)
	}
	if reply, err := peer.RequestName(busName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s on the sandbox bus: %v %v", busName, reply, err)
	}
	return peer
}
