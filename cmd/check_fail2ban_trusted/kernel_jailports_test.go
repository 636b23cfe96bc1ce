package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// A jail on ports outside the stock mail list: 2525 (a second submission
// port) and nntps, a service name nft resolves through /etc/services (563).
// Its nftables ban is left behind after fail2ban is killed and restarted
// with the office whitelisted. The check asks the jail's own ports
// (`get dovecot action nftables port`), so it is CRITICAL naming 2525 and
// 563 and the jail; judged on the old fixed list (--kernel-port with the
// default ports, as before) it says OK while the client is refused.
func TestKernelJailPortsLeftover(t *testing.T) {
	h, err := sandbox.StartNetHostServing(t.TempDir(), 2525, 563)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	jail := sandbox.Fail2banJail{Name: "dovecot",
		Extra: "action = nftables[name=dovecot, port=\"2525,nntps\", protocol=tcp]\nignoreself = false"}
	refusedOn := func(port int) bool {
		if h.Client.Probe(trusted, sandbox.MailIPv4, port, 700*time.Millisecond) == nil {
			return false
		}
		return h.Client.Probe(trusted, sandbox.MailIPv4, port, 3*time.Second) != nil
	}
	if refusedOn(2525) || refusedOn(563) {
		t.Fatal("the office is refused before any ban")
	}
	first, err := sandbox.StartFail2banBanning(filepath.Join(t.TempDir(), "f2b"), "127.0.0.1/8", h.NetNS(), jail)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(first.Stop)
	if err := first.DovecotFailures(trusted, 10); err != nil {
		t.Fatal(err)
	}
	if err := first.WaitBanned("dovecot", trusted, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !refusedOn(2525) {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(first.F2BLog)
			t.Fatalf("fail2ban's ban did not refuse the office on 2525; fail2ban.log:\n%s", log)
		}
		time.Sleep(200 * time.Millisecond)
	}
	first.Crash()
	f, err := sandbox.StartFail2banBanning(filepath.Join(t.TempDir(), "f2b-again"), "127.0.0.1/8 "+trusted, h.NetNS(), jail)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	if !refusedOn(2525) || !refusedOn(563) {
		t.Fatal("after fail2ban's restart the office is served on 2525 or 563: no leftover to find")
	}

	args := []string{"--socket", f.Socket, "--ip", trusted, "--proc-net", h.ProcNet()}
	code, out := run(t, args...)
	if code != 2 || !strings.HasPrefix(out, "CRITICAL: "+trusted+" is refused by the kernel on 2525/tcp, 563/tcp (jail dovecot)") ||
		!strings.Contains(out, "that fail2ban no longer tracks") || !strings.Contains(out, "table inet f2b-table") ||
		strings.Contains(out, "were not read") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	t.Logf("on the jail's ports:\n%s", out)
	// fail2ban-client asks the same two questions (through the read-only
	// wrapper with --sudo) and finds the same.
	if code, cout := run(t, append(args, "--backend", "client")...); code != 2 || !strings.Contains(cout, "is refused on 2525/tcp, 563/tcp (jail dovecot) by rule") ||
		strings.Contains(cout, "were not read") {
		t.Fatalf("--backend client: exit %d:\n%s", code, cout)
	}

	// What the fixed list judged: every default port accepted, OK: the
	// false OK this test exists for. --kernel-port still overrides.
	old := args
	for _, p := range []string{"25", "465", "587", "110", "995", "143", "993", "4190"} {
		old = append(old, "--kernel-port", p)
	}
	if code, out := run(t, old...); code != 0 || strings.Contains(out, "refused") {
		t.Fatalf("on the default list: exit %d:\n%s", code, out)
	}
	if code, out := run(t, append(args, "--kernel-port", "563")...); code != 2 || !strings.Contains(out, "on 563/tcp by") || strings.Contains(out, "2525/tcp") {
		t.Fatalf("--kernel-port 563: exit %d:\n%s", code, out)
	}
}
