package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// trusted is the office's address: the client namespace's second IPv4.
const trusted = sandbox.ClientAlt4

// startF2B starts fail2ban with a dovecot jail; ignoreIP is [DEFAULT]'s.
func startF2B(t *testing.T, ignoreIP string) *sandbox.Fail2ban {
	t.Helper()
	f, err := sandbox.StartFail2ban(filepath.Join(t.TempDir(), "f2b"), ignoreIP, sandbox.Fail2banJail{Name: "dovecot"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	return f
}

// startNetHost: the mail host's namespace, listening on 993, and a client.
func startNetHost(t *testing.T) *sandbox.NetHost {
	t.Helper()
	h, err := sandbox.StartNetHostServing(t.TempDir(), 993)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

// refused probes 993 from the trusted address: true when the kernel
// refuses it (a dropped SYN is retried once with a longer wait).
func refused(t *testing.T, c *sandbox.Client) bool {
	t.Helper()
	return refusedOn(t, c, 993)
}

// refusedOn is refused on another TCP port of the mail host.
func refusedOn(t *testing.T, c *sandbox.Client, port int) bool {
	t.Helper()
	if c.Probe(trusted, sandbox.MailIPv4, port, 700*time.Millisecond) == nil {
		return false
	}
	return c.Probe(trusted, sandbox.MailIPv4, port, 3*time.Second) != nil
}

// A ban left in fail2ban's own nftables table (banaction nftables) after
// fail2ban lost track of it: fail2ban lists no ban, the office is refused.
// The check must say CRITICAL with the command that removes the element;
// running that command lets the office in and the check is OK again.
func TestKernelLeftoverNftablesBan(t *testing.T) {
	f := startF2B(t, "127.0.0.1/8 "+trusted) // the admin whitelisted it after the ban
	h := startNetHost(t)
	// As fail2ban's action.d/nftables.conf builds it.
	if err := h.Nft(`table inet f2b-table {
	set addr-set-dovecot { type ipv4_addr; elements = { ` + trusted + ` } }
	chain f2b-chain { type filter hook input priority filter - 1; policy accept;
		tcp dport { 110, 995, 143, 993, 587, 465, 4190 } ip saddr @addr-set-dovecot reject; }
}`); err != nil {
		t.Fatal(err)
	}
	if !refused(t, h.Client) {
		t.Fatal("the leftover ban did not refuse the office")
	}
	args := []string{"--socket", f.Socket, "--ip", trusted, "--proc-net", h.ProcNet()}
	code, out := run(t, args...)
	fix := "nft delete element inet f2b-table addr-set-dovecot { " + trusted + " }"
	if code != 2 || !strings.HasPrefix(out, "CRITICAL: "+trusted+" is refused by the kernel on 465/tcp, 587/tcp, 110/tcp, 995/tcp, 143/tcp, 993/tcp, 4190/tcp (jail dovecot) by rules fail2ban no longer tracks") || !strings.Contains(out, trusted+" is refused on 465/tcp, 587/tcp, 110/tcp, 995/tcp, 143/tcp, 993/tcp, 4190/tcp (jail dovecot) by rule") ||
		// the sandbox's dummy action has no port: the default list, said
		!strings.Contains(out, "kernel: jail dovecot's ports were not read (none of its actions has a port): judged on the default mail ports") ||
		!strings.Contains(out, "that fail2ban no longer tracks") || !strings.Contains(out, fix) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, err := h.Run(strings.Fields(strings.Split(fix, " (")[0])...); err != nil {
		t.Fatal(err)
	}
	if refused(t, h.Client) {
		t.Fatal("the fix did not let the office in")
	}
	if code, out := run(t, args...); code != 0 || strings.Contains(out, "refused") {
		t.Fatalf("after the fix: exit %d:\n%s", code, out)
	}
}

// The firewalld case: fail2ban banned the office through
// firewallcmd-rich-rules, then lost track of it (crash, ignoreip added,
// restart): its rich rule stays in firewalld and refuses the office.
func TestKernelLeftoverRichRule(t *testing.T) {
	f := startF2B(t, "127.0.0.1/8 "+trusted)
	fw := sandbox.FirewalldForTest(t)
	client := fw.ProbeClient(t)
	// fail2ban's actionban for firewallcmd-rich-rules, ports of the dovecot jail.
	for _, cmd := range [][]string{{"--add-service=imaps"},
		{"--add-rich-rule=rule family='ipv4' source address='" + trusted + "' port port='993' protocol='tcp' reject type='icmp-port-unreachable'"}} {
		if out, err := fw.Cmd(cmd...); err != nil {
			t.Fatalf("%v: %v %s", cmd, err, out)
		}
	}
	if !refused(t, client) {
		t.Fatal("the leftover rich rule did not refuse the office")
	}
	code, out := run(t, "--socket", f.Socket, "--ip", trusted, "--proc-net", fw.ProcNet())
	if code != 2 || !strings.HasPrefix(out, "CRITICAL: "+trusted+" is refused by the kernel on 993/tcp (jail dovecot) by rules") ||
		!strings.Contains(out, trusted+" is refused on 993/tcp (jail dovecot) by rule") || !strings.Contains(out, "table inet firewalld") ||
		!strings.Contains(out, "firewall-cmd --remove-rich-rule") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// The reverse: fail2ban lists a ban (its dummy action, like ban rules a
// firewall-cmd --reload wiped) while the kernel lets the IP through.
func TestKernelBanListedButNotEnforced(t *testing.T) {
	f := startF2B(t, "127.0.0.1/8")
	h := startNetHost(t)
	if err := f.DovecotFailures(trusted, 10); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitBanned("dovecot", trusted, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if refused(t, h.Client) {
		t.Fatal("the kernel refused the office although nothing enforces the ban")
	}
	_, out := run(t, "--socket", f.Socket, "--ip", trusted, "--proc-net", h.ProcNet())
	if !strings.Contains(out, "[WARNING] fail2ban lists "+trusted+" as banned in dovecot, but the kernel lets it through on 25/tcp") ||
		!strings.Contains(out, "fail2ban-client reload") {
		t.Fatalf("output:\n%s", out)
	}
}

// Over SSH the kernel's ruleset is read by `nft -j list ruleset` run on
// the mail host: the same verdict as locally.
func TestKernelOverSSH(t *testing.T) {
	r := startRemote(t, sandbox.SSHDOptions{})
	h := startNetHost(t)
	if err := h.Nft(`table inet mine { chain in { type filter hook input priority 0; ip saddr ` + trusted + ` tcp dport 993 drop; }; }`); err != nil {
		t.Fatal(err)
	}
	args := []string{"--ip", trusted, "--proc-net", h.ProcNet(), "--kernel-port", "993"}
	lcode, lout := run(t, append([]string{"--socket", r.f2b.Socket}, args...)...)
	rcode, rout := run(t, r.remote(args...)...)
	want := "CRITICAL: " + trusted + " is refused by the kernel on 993/tcp by rules fail2ban no longer tracks"
	if lcode != 2 || rcode != 2 || firstLine(lout) != firstLine(rout) || !strings.HasPrefix(rout, want) || !strings.Contains(rout, "nft delete rule inet mine in handle ") {
		t.Fatalf("local exit %d:\n%s\nremote exit %d:\n%s", lcode, lout, rcode, rout)
	}
}

// When the kernel's ruleset cannot be read (here: the namespace it is
// asked in is gone), auto judges from fail2ban alone and says so in one
// line; require is UNKNOWN, naming the flag.
func TestKernelNotReadable(t *testing.T) {
	f := startF2B(t, "127.0.0.1/8 "+trusted)
	gone := exec.Command("/bin/true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	procNet := fmt.Sprintf("/proc/%d/net", gone.Process.Pid)
	code, out := run(t, "--socket", f.Socket, "--ip", trusted, "--proc-net", procNet, "--kernel", "auto")
	if code != 0 || !strings.Contains(out, "the kernel's ruleset was not read: ") || !strings.Contains(out, "judged from fail2ban's ban list alone") {
		t.Errorf("auto: exit %d, want 0 and the kernel not read said:\n%s", code, out)
	}
	code, out = run(t, "--socket", f.Socket, "--ip", trusted, "--proc-net", procNet, "--kernel", "require")
	if first, _, _ := strings.Cut(out, "\n"); code != 3 || !strings.HasPrefix(first, "UNKNOWN: the kernel's ruleset could not be read (--kernel=require)") {
		t.Errorf("require: exit %d, want 3 naming --kernel=require:\n%s", code, out)
	}
}

// A rule the judge cannot decide for the office (it matches the client's
// source port, which no check knows) is a WARNING that leads the first
// line, never OK: the probing client is refused by it. One finding names
// every port the rule leaves undecided.
func TestKernelCannotTell(t *testing.T) {
	f := startF2B(t, "127.0.0.1/8 "+trusted)
	h := startNetHost(t)
	if err := h.Nft(`table inet hardening {
	chain input { type filter hook input priority filter; policy accept;
		tcp dport { 993, 143 } tcp sport 1024-65535 drop; }
}`); err != nil {
		t.Fatal(err)
	}
	if !refused(t, h.Client) {
		t.Fatal("the source-port rule did not refuse the office")
	}
	code, out := run(t, "--socket", f.Socket, "--ip", trusted, "--proc-net", h.ProcNet(), "--kernel-port", "993", "--kernel-port", "143")
	if first, _, _ := strings.Cut(out, "\n"); code != 1 || !strings.HasPrefix(first, "WARNING: cannot tell whether the kernel lets "+trusted+" through on 993/tcp, 143/tcp: ") ||
		!strings.Contains(first, "table inet hardening") || strings.Count(out, "cannot tell") != 2 { // the first line and one finding
		t.Fatalf("exit %d, want 1 with the undecided rule first:\n%s", code, out)
	}
}
