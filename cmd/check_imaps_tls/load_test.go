package main

import (
	"bytes"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestLoad200Concurrent is what Icinga does after a restart: 200 checks at
// once against one real Dovecot, each the real binary in its own process.
// Dovecot runs with its stock limits (imap-login process_limit 100, one
// process per connection), so half the connections wait in the listen
// queue until a login process is free: every check must wait for it within
// -t and answer OK, not report the busy daemon as broken.
func TestLoad200Concurrent(t *testing.T) {
	const n, timeout = 200, 20
	bin := sandbox.BuildBinary(t, t.TempDir())
	dir := t.TempDir()
	root, err := sandbox.NewRootCA(dir, "Load Root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := root.Issue("load", names)
	if err != nil {
		t.Fatal(err)
	}
	d, err := sandbox.StartDovecot(sandbox.DovecotOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)

	type result struct {
		code  int
		first string
		took  time.Duration
		rss   int64 // KiB
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	began := time.Now()
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "-H", "127.0.0.2", "-p", strconv.Itoa(d.IMAPSPort), "--ca-file", root.CertPath, "-t", strconv.Itoa(timeout))
			var out bytes.Buffer
			cmd.Stdout = &out
			<-start
			t0 := time.Now()
			_ = cmd.Run()
			res := result{code: -1, took: time.Since(t0)}
			if cmd.ProcessState != nil {
				res.code = cmd.ProcessState.ExitCode()
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					res.rss = ru.Maxrss
				}
			}
			res.first, _, _ = strings.Cut(out.String(), "\n")
			results[i] = res
		}()
	}
	close(start)
	wg.Wait()
	wall := time.Since(began)

	var rss []int64
	var slowest time.Duration
	bad := 0
	for i, r := range results {
		rss = append(rss, r.rss)
		slowest = max(slowest, r.took)
		if r.code != 0 || !strings.HasPrefix(r.first, "OK: IMAPS 127.0.0.2:") {
			bad++
			if bad <= 5 {
				t.Errorf("run %d: exit %d after %v: %s", i, r.code, r.took, r.first)
			}
		}
		if r.took > (timeout+1)*time.Second {
			t.Errorf("run %d took %v with -t %d", i, r.took, timeout)
		}
	}
	sort.Slice(rss, func(i, j int) bool { return rss[i] < rss[j] })
	t.Logf("%d concurrent runs in %v: %d not OK; slowest %v; peak RSS per process: median %.1f MiB, max %.1f MiB",
		n, wall.Round(time.Millisecond), bad, slowest.Round(time.Millisecond), float64(rss[n/2])/1024, float64(rss[n-1])/1024)
	if log := d.LogTail(); strings.Contains(log, "process_limit") {
		t.Logf("Dovecot hit its login process limit, as a stock install would: %s", lastLineWith(log, "process_limit"))
	}
	// Dovecot is unharmed: one more check after the storm.
	if code, out := run(t, "-H", "127.0.0.2", "-p", strconv.Itoa(d.IMAPSPort), "--ca-file", root.CertPath, "-t", "5"); code != 0 {
		t.Errorf("after the load: exit %d\n%s", code, out)
	}
}

// The binary reports a refused port as a connect failure, and does not
// dial a family the literal does not have.
func TestBinaryConnectFailures(t *testing.T) {
	bin := sandbox.BuildBinary(t, t.TempDir())
	port, err := sandbox.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args  []string
		code  int
		first string
	}{
		{[]string{"-H", "127.0.0.1", "-p", strconv.Itoa(port)}, 2, "CRITICAL: connect: 127.0.0.1:" + strconv.Itoa(port) + " refused the connection"},
		{[]string{"-H", "127.0.0.1", "-p", strconv.Itoa(port), "-6"}, 2, "CRITICAL: DNS: cannot resolve 127.0.0.1: 127.0.0.1 is not an IPv6 address"},
		{[]string{"--port=" + strconv.Itoa(port), "--host=127.0.0.1", "--starttls"}, 2, "CRITICAL: connect: 127.0.0.1:" + strconv.Itoa(port) + " refused"},
	} {
		cmd := exec.Command(bin, append(c.args, "-t", "3")...)
		out, _ := cmd.Output()
		first, _, _ := strings.Cut(string(out), "\n")
		if cmd.ProcessState.ExitCode() != c.code || !strings.HasPrefix(first, c.first) {
			t.Errorf("%q: exit %d %q", c.args, cmd.ProcessState.ExitCode(), first)
		}
	}
}

func lastLineWith(text, word string) string {
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], word) {
			return lines[i]
		}
	}
	return ""
}
