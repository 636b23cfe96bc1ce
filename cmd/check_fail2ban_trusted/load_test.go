package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestLoad200 starts 200 runs of the real binary at once against one real
// fail2ban-server, as Icinga does when it reschedules a host's checks after
// a restart. fail2ban listens with a backlog of 1, so most connects meet a
// full backlog; a busy but healthy server must be waited for, never called
// hung. Every run must give its right verdict within -t, and the server
// must come out unharmed: still answering, its bans as they were, nothing
// new banned, no protocol errors in its log.
func TestLoad200(t *testing.T) {
	const runs = 200
	dir := t.TempDir()
	bin := buildPlugin(t, dir)
	// Names only from /etc/hosts (localhost): the load must not become a
	// DNS load on whatever resolver the machine has.
	f, err := sandbox.StartFail2ban(filepath.Join(dir, "f2b"), "127.0.0.1/8 ::1 198.51.100.0/24 localhost",
		sandbox.Fail2banJail{Name: "dovecot"}, sandbox.Fail2banJail{Name: "postfix-sasl"},
		sandbox.Fail2banJail{Name: "recidive", IgnoreIP: "198.51.100.0/24", Extra: "ignoreself = false"})
	if err != nil {
		t.Fatalf("cannot start the real fail2ban (never skipped): %v", err)
	}
	t.Cleanup(f.Stop)
	client := func(args ...string) string {
		t.Helper()
		out, err := f.Client(args...)
		if err != nil {
			t.Fatalf("fail2ban-client %v: %v %s", args, err, out)
		}
		return out
	}
	client("set", "postfix-sasl", "banip", "203.0.113.7", "192.0.2.1", "192.0.2.2")
	client("set", "dovecot", "banip", "2001:db8:2::9")
	bansBefore := map[string]string{}
	for _, j := range []string{"dovecot", "postfix-sasl", "recidive"} {
		bansBefore[j] = client("get", j, "banip")
	}
	logBefore, _ := os.ReadFile(f.F2BLog)

	kinds := []struct {
		ip    string
		code  int
		first string
	}{
		{"198.51.100.7", 0, "OK: 198.51.100.7 not banned and whitelisted in all 3 jails checked"},
		{"203.0.113.7", 2, "CRITICAL: 203.0.113.7 is banned in postfix-sasl"},
		{"192.0.2.200", 1, "WARNING: 192.0.2.200 is not whitelisted in dovecot, postfix-sasl and recidive"},
		{"2001:db8:2::9", 2, "CRITICAL: 2001:db8:2::9 is banned in dovecot"},
	}
	type result struct {
		kind   int
		out    bytes.Buffer
		cmd    *exec.Cmd
		err    error
		took   time.Duration
		rssKiB int64
	}
	results := make([]*result, runs)
	start := time.Now()
	for i := range results {
		r := &result{kind: i % len(kinds)}
		// -t 20: on a loaded CI machine 200 process starts alone take
		// seconds; the point is that a busy server is waited for within -t.
		r.cmd = exec.Command(bin, "--socket", f.Socket, "--ip", kinds[r.kind].ip, "-t", "20", "--kernel=skip")
		r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
		if r.err = r.cmd.Start(); r.err != nil {
			t.Fatalf("start run %d: %v", i, r.err)
		}
		results[i] = r
	}
	for _, r := range results {
		r.err = r.cmd.Wait()
		r.took = time.Since(start)
		if ru, ok := r.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.rssKiB = ru.Maxrss // kilobytes on Linux
		}
	}
	wall := time.Since(start)

	states := map[string]int{}
	var rss []int64
	for i, r := range results {
		k := kinds[r.kind]
		out := r.out.String()
		first, _, _ := strings.Cut(out, "\n")
		states[strings.SplitN(first, ":", 2)[0]]++
		rss = append(rss, r.rssKiB)
		if code := r.cmd.ProcessState.ExitCode(); code != k.code || !strings.HasPrefix(out, k.first) {
			t.Errorf("run %d (--ip %s): exit %d, want %d %q:\n%s", i, k.ip, code, k.code, k.first, out)
		}
	}
	slices.Sort(rss)
	t.Logf("%d concurrent runs in %s: %v; peak RSS per process: median %d KiB, max %d KiB",
		runs, wall.Round(time.Millisecond), states, rss[len(rss)/2], rss[len(rss)-1])
	if wall > 21*time.Second {
		t.Errorf("200 runs took %s with -t 20", wall)
	}

	// The server is unharmed: it answers, its bans are the same, no ban was
	// added, and it logged no protocol or accept error.
	for j, before := range bansBefore {
		if after := client("get", j, "banip"); after != before {
			t.Errorf("bans of %s changed under load:\nbefore %s\nafter  %s", j, before, after)
		}
	}
	logAfter, _ := os.ReadFile(f.F2BLog)
	added := string(logAfter[len(logBefore):])
	for _, bad := range []string{"] Ban ", "ERROR", "PROTO-error", "Accept socket error", "Unexpected communication error"} {
		if strings.Contains(added, bad) {
			t.Errorf("fail2ban.log gained %q under load:\n%s", bad, added)
		}
	}
	if out := client("ping"); !strings.Contains(out, "pong") {
		t.Errorf("ping after load: %s", out)
	}
	fmt.Fprintf(os.Stderr, "check_fail2ban_trusted load: %d concurrent runs in %s, states %v, peak RSS median %d KiB max %d KiB\n",
		runs, wall.Round(time.Millisecond), states, rss[len(rss)/2], rss[len(rss)-1])
}
