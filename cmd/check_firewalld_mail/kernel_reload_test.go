package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// reloadCase: something beside firewalld's zones that refuses imaps now,
// after the next reload, or both; wants are texts the first check must
// say; once is what the first check must predict for after the reload
// ("survives", "removes", "after"), "" when it depends on the version.
type reloadCase struct {
	name       string
	do, undo   func(t *testing.T)
	refusedNow bool
	wants      []string
}

// TestKernelAfterTheNextReload: the check says what the next reload does
// to a refusal outside firewalld's zones, and firewalld's own reload (over
// D-Bus) with a client probing from another namespace is the reference:
// what the check says survives still refuses the client after the
// reload; what it says the reload removes lets the client in; a permanent
// direct rule that refuses nothing yet refuses after the reload.
func TestKernelAfterTheNextReload(t *testing.T) {
	fw, client, inNS := imapsBehindFirewalld(t)
	nftFile := filepath.Join(fw.Dir, "mine.nft")
	if err := sandbox.WriteFile(nftFile, `table inet mine { chain input { type filter hook input priority filter; policy accept; tcp dport 993 drop; }; }`, 0o600); err != nil {
		t.Fatal(err)
	}
	reject := []string{"-p", "tcp", "--dport", "993", "-j", "REJECT"}
	direct := append([]string{"ipv4", "filter", "INPUT", "0"}, reject...)
	cases := []reloadCase{
		{"another nftables table", func(t *testing.T) { inNS(t, "nft", "-f", nftFile) },
			func(t *testing.T) { inNS(t, "nft", "delete", "table", "inet", "mine") }, true,
			[]string{"table inet mine (nftables); it survives firewall-cmd --reload"}},
		{"a legacy iptables rule", func(t *testing.T) { inNS(t, append([]string{"iptables-legacy", "-I", "INPUT"}, reject...)...) },
			func(t *testing.T) { inNS(t, append([]string{"iptables-legacy", "-D", "INPUT"}, reject...)...) }, true,
			[]string{"(iptables-legacy); it survives firewall-cmd --reload"}},
		{"a runtime-only direct rule", func(t *testing.T) { mustCmd(t, fw, append([]string{"--direct", "--add-rule"}, direct...)...) },
			func(t *testing.T) { _, _ = fw.Cmd(append([]string{"--direct", "--remove-rule"}, direct...)...) }, true,
			[]string{"the next firewall-cmd --reload removes it (firewalld "}},
		{"a permanent direct rule not applied yet", func(t *testing.T) {
			mustCmd(t, fw, append([]string{"--permanent", "--direct", "--add-rule"}, direct...)...)
		}, func(t *testing.T) {
			mustCmd(t, fw, append([]string{"--permanent", "--direct", "--remove-rule"}, direct...)...)
			mustCmd(t, fw, "--reload")
		}, false,
			[]string{"after the next firewall-cmd --reload, imaps (993/tcp) over ipv4 is refused by the kernel outside firewalld's zones: rule 'ipv4 filter INPUT 0 -p tcp --dport 993 -j REJECT'",
				"from firewalld's permanent direct configuration " + filepath.Join(fw.ConfigDir, "direct.xml"),
				"Fix: firewall-cmd --permanent --direct --remove-rule ipv4 filter INPUT 0 -p tcp --dport 993 -j REJECT && firewall-cmd --reload"}},
		// A permanent direct rule already applied: the reload flushes it
		// and firewalld applies it again.
		{"a permanent direct rule applied", func(t *testing.T) {
			mustCmd(t, fw, append([]string{"--permanent", "--direct", "--add-rule"}, direct...)...)
			mustCmd(t, fw, "--reload")
		}, func(t *testing.T) {
			mustCmd(t, fw, append([]string{"--permanent", "--direct", "--remove-rule"}, direct...)...)
			mustCmd(t, fw, "--reload")
		}, true,
			[]string{"after the next firewall-cmd --reload, imaps (993/tcp) over ipv4 is refused by the kernel outside firewalld's zones: rule 'ipv4 filter INPUT 0 -p tcp --dport 993 -j REJECT'",
				"but a permanent direct rule refuses it again (see below)\n    Fix: firewall-cmd --permanent --direct --remove-rule ipv4 filter INPUT 0 -p tcp --dport 993 -j REJECT && firewall-cmd --reload"}},
		{"panic mode", func(t *testing.T) { mustCmd(t, fw, "--panic-on") },
			func(t *testing.T) { _, _ = fw.Cmd("--panic-off") }, true,
			[]string{"firewalld's panic mode is on: the kernel drops every packet, imaps (993/tcp) over ipv4 included (panic mode stays on across reloads)",
				"Fix: firewall-cmd --panic-off"}},
		// firewalld 1.x flushes iptables' tables at every reload, 2.x only
		// while it holds direct rules: the check must say which, and the
		// reload must agree.
		{"an iptables-nft rule", func(t *testing.T) { inNS(t, append([]string{"iptables-nft", "-I", "INPUT"}, reject...)...) },
			func(t *testing.T) {
				_, _ = sandbox.Run(t.Context(), nil, append([]string{"nsenter", "--net=" + fw.NetNS(), "iptables-nft", "-D", "INPUT"}, reject...)...)
			}, true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.do(t)
			defer c.undo(t)
			if got := probeRefused(client); got != c.refusedNow {
				t.Fatalf("before the reload the client is refused=%v, the case expects %v", got, c.refusedNow)
			}
			code, out := check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet())
			expect(t, code, 2, out, c.wants...)
			survives := strings.Contains(out, "it survives firewall-cmd --reload") || strings.Contains(out, "after the next firewall-cmd --reload") ||
				strings.Contains(out, "refuses it again") ||
				strings.Contains(out, "panic mode stays on across reloads")
			t.Logf("before the reload:\n%s", out)
			if !strings.HasPrefix(out, "CRITICAL: the kernel refuses, or may refuse, required ports beyond what firewalld's configuration says (") {
				t.Errorf("the first line reads as if firewalld's verdict were all:\n%s", out)
			}
			if strings.Contains(out, "…") {
				t.Errorf("a line was cut at the plugin's 400 runes: the finding must say it shorter:\n%s", out)
			}
			removed := strings.Contains(out, "the next firewall-cmd --reload removes it") && !strings.Contains(out, "refuses it again")
			if survives == removed {
				t.Fatalf("the check must say whether the refusal survives the next reload (survives=%v, removed=%v):\n%s", survives, removed, out)
			}
			mustCmd(t, fw, "--reload")
			if got := probeRefused(client); got != survives {
				t.Fatalf("after firewall-cmd --reload the client is refused=%v; the check predicted refused=%v:\n%s", got, survives, out)
			}
			code, out = check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet())
			if survives {
				expect(t, code, 2, out)
				if !strings.Contains(out, "refused by the kernel outside firewalld's zones") && !strings.Contains(out, "panic mode is on") {
					t.Errorf("after the reload the client is refused, and the check does not say by what:\n%s", out)
				}
			} else if expect(t, code, 0, out); strings.Contains(out, "kernel") {
				t.Errorf("after the reload the kernel is still mentioned:\n%s", out)
			}
		})
	}
}

// probeRefused: is the client refused on 993 over IPv4 (a dropped SYN is
// retried once with a longer wait, so that load does not pass for a drop)?
func probeRefused(c *sandbox.Client) bool {
	if _, err := c.Connect(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 700*time.Millisecond); err == nil {
		return false
	}
	_, err := c.Connect(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 3*time.Second)
	return err != nil
}

// imapsBehindFirewalld: firewalld opening imaps permanently and at
// runtime, a client served on 993 from another namespace, and a runner of
// commands in firewalld's namespace.
func imapsBehindFirewalld(t *testing.T) (*sandbox.Firewalld, *sandbox.Client, func(t *testing.T, argv ...string)) {
	t.Helper()
	fw := startFirewalld(t)
	client, err := fw.AttachServing(993)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Stop)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	inNS := func(t *testing.T, argv ...string) {
		t.Helper()
		if out, err := sandbox.Run(t.Context(), nil, append([]string{"nsenter", "--net=" + fw.NetNS()}, argv...)...); err != nil {
			t.Fatalf("%v: %v %s", argv, err, out)
		}
	}
	return fw, client, inNS
}

// TestKernelAfterTheNextReloadOverSSH: what decides the next reload's
// fate is read on the mail host over SSH too (direct.xml through the file
// reader, the runtime direct rules through the remote firewall-cmd), and
// the verdict matches the local one: same exit code and first line.
func TestKernelAfterTheNextReloadOverSSH(t *testing.T) {
	fw, s := startRemote(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	direct := []string{"ipv4", "filter", "INPUT", "0", "-p", "tcp", "--dport", "993", "-j", "REJECT"}
	args := []string{"--service", "imaps", "--proc-net", fw.ProcNet()}
	both := func(t *testing.T, wantCode int, wants ...string) {
		t.Helper()
		lcode, lout := check(t, fw, args...)
		rcode, rout := checkRemote(t, fw, s, args...)
		if lcode != wantCode || rcode != lcode || firstLine(lout) != firstLine(rout) || !strings.Contains(rout, "facts gathered via SSH") {
			t.Fatalf("want exit %d in both; local (%d):\n%s\nssh (%d):\n%s", wantCode, lcode, lout, rcode, rout)
		}
		for _, w := range wants {
			if !strings.Contains(rout, w) {
				t.Errorf("ssh output lacks %q:\n%s", w, rout)
			}
		}
	}
	mustCmd(t, fw, append([]string{"--permanent", "--direct", "--add-rule"}, direct...)...)
	both(t, 2, "after the next firewall-cmd --reload, imaps (993/tcp) over ipv4 is refused by the kernel outside firewalld's zones",
		"from firewalld's permanent direct configuration "+filepath.Join(fw.ConfigDir, "direct.xml"))
	mustCmd(t, fw, append([]string{"--permanent", "--direct", "--remove-rule"}, direct...)...)
	mustCmd(t, fw, append([]string{"--direct", "--add-rule"}, direct...)...)
	both(t, 2, "the next firewall-cmd --reload removes it (firewalld ")
}
