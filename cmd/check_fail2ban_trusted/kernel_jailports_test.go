package main

import (
	"strings"
	"testing"

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
	if refusedOn(t, h.Client, 2525) || refusedOn(t, h.Client, 563) {
		t.Fatal("the office is refused before any ban")
	}
	f := leftoverBan(t, h, jail, 2525)
	if !refusedOn(t, h.Client, 563) {
		t.Fatal("after fail2ban's restart the office is served on 563: no leftover to find")
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
