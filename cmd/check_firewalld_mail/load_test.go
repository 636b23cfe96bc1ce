package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestLoad200 starts 200 runs of the real binary at once against one real
// firewalld over its D-Bus, as Icinga does when it reschedules a host's
// checks after a restart. firewalld is single-threaded Python: calls queue
// behind each other, and a busy daemon must be waited for within -t,
// never called broken. The sandbox bus runs with dbus-daemon's built-in
// limits, which Debian's system.conf leaves as they are (64 incomplete
// connections, 256 per user, 128 pending replies each): what holds here
// holds on the mail host's system bus.
//
// Two rounds: as fast as firewalld answers, then with firewalld frozen
// (SIGSTOP) until every run has connected and sent its first call, so
// that all 200 wait on it at once. Every run must say OK, and firewalld
// must come out unharmed: still running, nothing in its or the bus's log,
// and a check after the storm still OK.
func TestLoad200(t *testing.T) {
	fw, bin, bus := openFirewalld(t)
	args := []string{"-t", "30", "--config-dir", fw.ConfigDir, "--default-config-dir", fw.DefaultDir, "--family", "both", "--kernel=skip"}
	fwLog, _ := os.ReadFile(filepath.Join(fw.Dir, "firewalld.log"))
	busLog, _ := os.ReadFile(filepath.Join(fw.Dir, "dbus.log"))

	loadRound(t, "as fast as firewalld answers", bin, fw, args, nil)
	loadRound(t, "firewalld frozen until all 200 have called", bin, fw, args, bus)

	// Unharmed: firewalld still answers, logged nothing, and a check
	// after the storm is OK.
	if out, err := fw.Cmd("--state"); err != nil || strings.TrimSpace(out) != "running" {
		t.Errorf("firewall-cmd --state after the load: %q %v", out, err)
	}
	for path, before := range map[string][]byte{"firewalld.log": fwLog, "dbus.log": busLog} {
		after, _ := os.ReadFile(filepath.Join(fw.Dir, path))
		if added := strings.TrimSpace(string(after[len(before):])); added != "" {
			t.Errorf("%s gained under load:\n%s", path, added)
		}
	}
	code, out := startRun(t, bin, fw.Env(), args...).wait(t, 31*time.Second)
	expect(t, code, 0, out, loadWant)
}

const loadWant = "OK: all 7 required services and ports open in zone public"

// loadRound starts 200 runs at once and checks each says OK. With bus
// set, firewalld is stopped (SIGSTOP) until all of them have connected to
// the bus and sent their first call, then let go.
func loadRound(t *testing.T, name, bin string, fw *sandbox.Firewalld, args []string, bus *dbus.Conn) {
	t.Helper()
	const runs = 200
	var thaw func()
	if bus != nil {
		pid, before := firewalldPID(t, bus), busConnections(bus)
		syscall.Kill(pid, syscall.SIGSTOP)
		defer syscall.Kill(pid, syscall.SIGCONT)
		thaw = func() {
			if err := awaitConnections(bus, before+runs, 20*time.Second); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	started := make([]*run, runs)
	start := time.Now()
	for i := range started {
		started[i] = startRun(t, bin, fw.Env(), args...)
	}
	if thaw != nil {
		thaw()
	}
	states := map[string]int{}
	var rss []int64
	for i, r := range started {
		code, out := r.wait(t, 31*time.Second)
		states[strings.SplitN(firstLine(out), ":", 2)[0]]++
		if ru, ok := r.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = append(rss, ru.Maxrss) // kilobytes on Linux
		}
		if code != 0 || !strings.HasPrefix(out, loadWant) {
			t.Errorf("%s: run %d: exit %d after %v:\n%s", name, i, code, r.took, out)
		}
	}
	wall := time.Since(start)
	slices.Sort(rss)
	line := fmt.Sprintf("%s: %d concurrent runs in %s, states %v, peak RSS per process median %d KiB max %d KiB",
		name, runs, wall.Round(time.Millisecond), states, rss[len(rss)/2], rss[len(rss)-1])
	t.Log(line)
	fmt.Fprintln(os.Stderr, "check_firewalld_mail load: "+line)
}

// busConnections counts the bus's clients (unique names).
func busConnections(bus *dbus.Conn) int {
	var names []string
	bus.BusObject().Call("org.freedesktop.DBus.ListNames", 0).Store(&names)
	n := 0
	for _, name := range names {
		if strings.HasPrefix(name, ":") {
			n++
		}
	}
	return n
}

// awaitConnections waits until the bus has n clients: each run's first
// call follows its connection at once.
func awaitConnections(bus *dbus.Conn, n int, bound time.Duration) error {
	for deadline := time.Now().Add(bound); busConnections(bus) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d clients on the bus after %v, want %d", busConnections(bus), bound, n)
		}
	}
	return nil
}

// firewalldPID asks the bus which process owns firewalld's name.
func firewalldPID(t *testing.T, bus *dbus.Conn) int {
	t.Helper()
	var pid uint32
	if err := bus.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, "org.fedoraproject.FirewallD1").Store(&pid); err != nil {
		t.Fatal(err)
	}
	return int(pid)
}
