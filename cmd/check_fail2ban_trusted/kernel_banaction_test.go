package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// dovecotNftables is the dovecot jail banning through fail2ban's own
// nftables banaction (action.d/nftables.conf: table inet f2b-table, set
// addr-set-dovecot), on the stock jail's ports. ignoreself is off: inside
// the mail host's namespace fail2ban 1.0 counted none of the office's
// failures with it on.
var dovecotNftables = sandbox.Fail2banJail{Name: "dovecot",
	Extra: "action = nftables[name=dovecot, port=\"110,995,143,993,587,465,4190\", protocol=tcp]\nignoreself = false"}

// banThrough starts fail2ban inside the mail host's namespace with the
// jail's banaction and has it ban the office for real, until the office is
// refused on port.
func banThrough(t *testing.T, h *sandbox.NetHost, jail sandbox.Fail2banJail, port int) *sandbox.Fail2ban {
	t.Helper()
	f, err := sandbox.StartFail2banBanning(filepath.Join(t.TempDir(), "f2b"), "127.0.0.1/8", h.NetNS(), jail)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	if err := f.DovecotFailures(trusted, 10); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitBanned("dovecot", trusted, 20*time.Second); err != nil {
		so, _ := os.ReadFile(filepath.Join(f.Dir, "server.out"))
		st, _ := f.Client("status", "dovecot")
		t.Fatalf("%v\nserver.out: %s\nstatus: %s", err, so, st)
	}
	if !waitRefusedOn(t, h.Client, port, true) {
		log, _ := os.ReadFile(f.F2BLog)
		t.Fatalf("fail2ban's ban did not refuse the office on %d; fail2ban.log:\n%s", port, log)
	}
	return f
}

// leftoverBan: fail2ban bans the office through the jail's banaction, then
// dies (SIGKILL: a crash, an OOM kill, systemd's stop timeout) without its
// actionstop; the admin whitelists the office and starts fail2ban again.
// It returns the new fail2ban, which lists no ban while the office is
// still refused on port.
func leftoverBan(t *testing.T, h *sandbox.NetHost, jail sandbox.Fail2banJail, port int) *sandbox.Fail2ban {
	t.Helper()
	banThrough(t, h, jail, port).Crash()
	f, err := sandbox.StartFail2banBanning(filepath.Join(t.TempDir(), "f2b-again"), "127.0.0.1/8 "+trusted, h.NetNS(), jail)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	if !refusedOn(t, h.Client, port) {
		t.Fatalf("after fail2ban's restart the office is served on %d: no leftover to find", port)
	}
	return f
}

// waitRefused waits (a bounded time: fail2ban runs its action after it
// logs the ban) for the office to be refused or served as asked.
func waitRefused(t *testing.T, c *sandbox.Client, want bool) bool {
	t.Helper()
	return waitRefusedOn(t, c, 993, want)
}

// waitRefusedOn is waitRefused on another TCP port of the mail host.
func waitRefusedOn(t *testing.T, c *sandbox.Client, port int, want bool) bool {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if refusedOn(t, c, port) == want {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fail2ban banned the office through its nftables banaction, then died
// (SIGKILL: a crash, an OOM kill, systemd's stop timeout) without its
// actionstop; the admin whitelisted the office and started fail2ban again.
// fail2ban lists no ban, its set still holds the office, the office is
// refused: the check is CRITICAL with the command that removes the
// element, and that command lets the office in.
func TestKernelNftablesBanactionLeftover(t *testing.T) {
	h := startNetHost(t)
	f := leftoverBan(t, h, dovecotNftables, 993)
	args := []string{"--socket", f.Socket, "--ip", trusted, "--proc-net", h.ProcNet()}
	code, out := run(t, args...)
	fix := "nft delete element inet f2b-table addr-set-dovecot { " + trusted + " }"
	if code != 2 || !strings.HasPrefix(out, "CRITICAL: "+trusted+" is refused by the kernel on ") ||
		!strings.Contains(out, "993/tcp") || !strings.Contains(out, "that fail2ban no longer tracks (it lists no ban for "+trusted+")") ||
		!strings.Contains(out, "table inet f2b-table") || !strings.Contains(out, fix) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, err := h.Run(strings.Fields(fix)...); err != nil {
		t.Fatal(err)
	}
	if !waitRefused(t, h.Client, false) {
		t.Fatal("the check's fix did not let the office in")
	}
	if code, out := run(t, args...); code != 0 || strings.Contains(out, "refused") {
		t.Fatalf("after the fix: exit %d:\n%s", code, out)
	}
}

// The reverse: fail2ban banned the office through its nftables banaction,
// then the ruleset was flushed under it (`systemctl restart nftables`
// loads /etc/nftables.conf, which starts with `flush ruleset`): fail2ban
// still lists the ban, the office is served. The check must not say
// "banned" as if the ban worked: it says the ban rules are gone.
func TestKernelNftablesBanListedButFlushed(t *testing.T) {
	h := startNetHost(t)
	f := banThrough(t, h, dovecotNftables, 993)
	if out, err := h.Run("nft", "flush", "ruleset"); err != nil {
		t.Fatalf("nft flush ruleset: %v %s", err, out)
	}
	if !waitRefused(t, h.Client, false) {
		t.Fatal("the office is still refused after the flush")
	}
	if out, err := f.Client("get", "dovecot", "banned", trusted); err != nil || !strings.Contains(out, "1") {
		t.Fatalf("fail2ban no longer lists the ban: %v %s", err, out)
	}
	_, out := run(t, "--socket", f.Socket, "--ip", trusted, "--proc-net", h.ProcNet())
	if !strings.Contains(out, "[WARNING] fail2ban lists "+trusted+" as banned in dovecot, but the kernel lets it through on ") ||
		!strings.Contains(out, "993/tcp") || !strings.Contains(out, "the ban rules are gone") ||
		!strings.Contains(out, "Fix: fail2ban-client reload --restart dovecot (restarts the jail") {
		t.Fatalf("output:\n%s", out)
	}
	t.Logf("with the rules flushed:\n%s", out)
	// The fix the check gives must bring the ban back (a plain
	// `fail2ban-client reload` does not: tried, fail2ban 1.0.2).
	if out, err := f.Client("-c", f.Dir, "reload", "--restart", "dovecot"); err != nil {
		t.Fatalf("fail2ban-client reload: %v %s", err, out)
	}
	if !waitRefused(t, h.Client, true) {
		nft, _ := h.Run("nft", "list", "ruleset")
		t.Fatalf("fail2ban-client reload did not bring the ban back; the ruleset:\n%s", nft)
	}
}

// fail2ban's iptables-ipset banaction (the ban is an entry of ipset
// f2b-dovecot, matched by an iptables rule): a ban left behind after
// fail2ban is killed and restarted with the office whitelisted. The judge
// reads the set (`ipset save`), so the check names the rule, says
// CRITICAL and gives `ipset del`; once that ran, the office is served and
// the check is OK: the set is read, not "cannot tell".
func TestKernelIpsetBanactionLeftover(t *testing.T) {
	h := startNetHost(t)
	jail := sandbox.Fail2banJail{Name: "dovecot",
		Extra: "action = iptables-ipset[type=multiport, name=dovecot, port=\"110,995,143,993,587,465,4190\", protocol=tcp]\nignoreself = false"}
	f := leftoverBan(t, h, jail, 993)
	args := []string{"--socket", f.Socket, "--ip", trusted, "--proc-net", h.ProcNet()}
	code, out := run(t, args...)
	fix := "ipset del f2b-dovecot " + trusted
	if code != 2 || !strings.HasPrefix(out, "CRITICAL: "+trusted+" is refused by the kernel on ") || !strings.Contains(out, "993/tcp") ||
		!strings.Contains(out, "--match-set f2b-dovecot src") || !strings.Contains(out, "that fail2ban no longer tracks") ||
		!strings.Contains(out, "Fix: "+fix) || strings.Contains(out, "cannot tell") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, err := h.Run(strings.Fields(fix)...); err != nil {
		t.Fatal(err)
	}
	if !waitRefused(t, h.Client, false) {
		t.Fatal("the check's fix did not let the office in")
	}
	if code, out := run(t, args...); code != 0 || strings.Contains(out, "refused") || strings.Contains(out, "cannot tell") {
		t.Fatalf("after the fix: exit %d:\n%s", code, out)
	}
}
