package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// kernelCase: what a case does to the kernel and undoes, what the
// output must say, whether the client is refused, the exit code.
type kernelCase struct {
	name     string
	do, undo func(t *testing.T)
	texts    []string
	refused4 bool
	code     int
}

// TestKernelRefusalsOutsideFirewalld: firewalld opens imaps, and something
// beside its zones refuses it in the kernel (issue 15's cases). The client
// probing from another namespace is refused; the plugin must say CRITICAL,
// name the rule and how to remove it, and after the undo say OK again.
func TestKernelRefusalsOutsideFirewalld(t *testing.T) {
	fw, client, inNS := imapsBehindFirewalld(t)
	nftFile := filepath.Join(fw.Dir, "other.nft")
	if err := sandbox.WriteFile(nftFile, `table inet filter { chain input { type filter hook input priority filter; policy drop; ct state established,related accept; tcp dport 22 accept; }; }`, 0o600); err != nil {
		t.Fatal(err)
	}
	direct := []string{"ipv4", "filter", "INPUT", "0", "-p", "tcp", "--dport", "993", "-j", "REJECT"}
	cases := []kernelCase{
		{"an admin's table with policy drop beside firewalld's",
			func(t *testing.T) { inNS(t, "nft", "-f", nftFile) }, func(t *testing.T) { inNS(t, "nft", "delete", "table", "inet", "filter") },
			[]string{"imaps (993/tcp) over ipv4 is refused by the kernel outside firewalld's zones: policy drop of chain input in table inet filter (nftables)",
				"Fix: nft insert rule inet filter input tcp dport 993 accept"}, true, 2},
		{"an iptables-nft REJECT rule",
			func(t *testing.T) {
				inNS(t, "iptables-nft", "-I", "INPUT", "-p", "tcp", "--dport", "993", "-j", "REJECT")
			},
			func(t *testing.T) {
				inNS(t, "iptables-nft", "-D", "INPUT", "-p", "tcp", "--dport", "993", "-j", "REJECT")
			},
			[]string{"rule '-A INPUT -p tcp -m tcp --dport 993 -j REJECT", "Fix: iptables -t filter -D INPUT -p tcp -m tcp --dport 993 -j REJECT"}, true, 2},
		{"a firewalld direct rule",
			func(t *testing.T) { mustCmd(t, fw, append([]string{"--direct", "--add-rule"}, direct...)...) },
			func(t *testing.T) { mustCmd(t, fw, append([]string{"--direct", "--remove-rule"}, direct...)...) },
			[]string{"refused by the kernel outside firewalld's zones", "firewall-cmd --direct --get-all-rules"}, true, 2},
		{"panic mode",
			func(t *testing.T) { mustCmd(t, fw, "--panic-on") }, func(t *testing.T) { mustCmd(t, fw, "--panic-off") },
			[]string{"firewalld's panic mode is on", "Fix: firewall-cmd --panic-off"}, true, 2},
	}
	// firewalld 2.x owns its table (nft's "owner" flag): a flush leaves it,
	// and the check then judges as before. firewalld 1.3's goes, and the
	// check says so. Last: firewalld 1.3 cannot reload after it.
	flushed := []string{"the kernel's ruleset read has no firewalld table although firewalld runs: either `nft flush ruleset` was run", "systemctl restart firewalld"}
	cases = append(cases, kernelCase{"nft flush ruleset", func(t *testing.T) {
		inNS(t, "nft", "flush", "ruleset")
		if _, err := sandbox.Run(t.Context(), nil, "nsenter", "--net="+fw.NetNS(), "nft", "list", "table", "inet", "firewalld"); err == nil {
			flushed = []string{"OK: all 1 required services and ports open"} // owned: still there
		}
	}, nil, nil, false, 0})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.do(t)
			undone := false
			defer func() {
				if !undone && c.undo != nil {
					c.undo(t)
				}
			}()
			_, err := client.Connect(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 700*time.Millisecond)
			if (err != nil) != c.refused4 {
				t.Fatalf("client: refused=%v (%v), the case expects refused=%v", err != nil, err, c.refused4)
			}
			code, out := check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet())
			if c.texts == nil {
				c.texts = flushed
			}
			expect(t, code, c.code, out, c.texts...)
			if c.undo == nil {
				return
			}
			undone = true
			c.undo(t)
			code, out = check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet())
			expect(t, code, 0, out)
			if strings.Contains(out, "kernel") {
				t.Errorf("after the undo the kernel is still mentioned:\n%s", out)
			}
		})
	}
}

// Unprivileged, the kernel's ruleset cannot be read: auto says so in one
// line and judges from firewalld alone; require is UNKNOWN.
func TestKernelNotReadable(t *testing.T) {
	fw := startFirewalld(t)
	mustCmd(t, fw, "--add-service=imaps")
	code, out := runAsNobody(t, fw, "--service", "imaps", "--runtime-source", "cli", "--kernel", "auto")
	if !strings.Contains(out, "the kernel's ruleset was not read: ") || !strings.Contains(out, "judged from firewalld's configuration alone") {
		t.Errorf("auto, unprivileged (exit %d):\n%s", code, out)
	}
	code, out = runAsNobody(t, fw, "--service", "imaps", "--runtime-source", "cli", "--kernel", "require")
	if first, _, _ := strings.Cut(out, "\n"); code != 3 || !strings.HasPrefix(first, "UNKNOWN: the kernel's ruleset could not be read (--kernel=require)") || !strings.Contains(out, "contrib/sudoers.d/mailchecks") {
		t.Errorf("require, unprivileged: exit %d, want 3:\n%s", code, out)
	}
}
