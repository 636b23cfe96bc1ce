package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// scaleBans is how many runtime ban rules a busy mail host carries.
const scaleBans = 10000

// maxCheckRSS is the memory firewalld's verdict may use at scaleBans
// rules (issue 14); maxKernelRSS bounds the whole check with the kernel
// read, which holds nft's JSON of every rule (issue 15 has no goal yet).
const (
	maxCheckRSS  = 64 << 20
	maxKernelRSS = 128 << 20
)

// TestTenThousandRuntimeBans: Fail2ban with the firewallcmd-rich-rules
// banaction has banned 10,000 addresses on 993/tcp at runtime, one of them
// the client's second address (added last, with firewall-cmd
// --add-rich-rule as Fail2ban adds it; the others in one reload, see
// sandbox.LoadRuntimeBans). The kernel refuses that address and serves
// the client's first; the check says OK (imaps open except for the banned
// addresses, the client's first), counts the bans as not drift, and
// finishes well inside -t within the memory bound.
func TestTenThousandRuntimeBans(t *testing.T) {
	fw, client := startProbedFirewalld(t)
	bin := sandbox.BuildBinary(t, t.TempDir())

	services := []string{"ssh", "dhcpv6-client", "smtp", "smtps", "smtp-submission", "imap", "imaps"}
	reload, err := fw.LoadRuntimeBans(services, sandbox.BanAddrs(scaleBans-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("firewalld reloaded %d rich rules in %v", scaleBans-1, reload.Round(time.Millisecond))
	mustCmd(t, fw, "--add-rich-rule="+sandbox.BanRule(sandbox.ClientAlt4))
	listAll := time.Now()
	out, err := fw.Cmd("--zone=public", "--list-all")
	listTook := time.Since(listAll)
	if err != nil || strings.Count(out, "rule family=") != scaleBans {
		t.Fatalf("firewall-cmd --list-all: %v, %d rules, want %d", err, strings.Count(out, "rule family="), scaleBans)
	}

	// The kernel's answer: the banned address is refused, the other served.
	if got, err := client.Connect(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 2*time.Second); err != nil || got != "993" {
		t.Errorf("kernel: %s -> 993 got %q, %v; want served", sandbox.ClientIPv4, got, err)
	}
	if got, err := client.Connect(sandbox.ClientAlt4, sandbox.MailIPv4, 993, 2*time.Second); err == nil {
		t.Errorf("kernel let banned %s through to 993 (answered %q)", sandbox.ClientAlt4, got)
	}

	const timeout = 10 // the default -t
	args := []string{"--config-dir", fw.ConfigDir, "--default-config-dir", fw.DefaultDir,
		"--family", "ipv4", "-t", fmt.Sprint(timeout),
		"--service", "smtp", "--service", "smtps", "--service", "smtp-submission", "--service", "imap", "--service", "imaps"}
	want := []string{"OK: all 5 required services and ports open in zone public",
		"[OK] imaps (993/tcp) open in runtime and permanent (open except for " + sandbox.ClientAlt4 + ", 198.18.0.1, ",
		fmt.Sprintf("%d runtime-only reject/drop rich rules for single sources (Fail2ban bans): not drift", scaleBans)}

	// firewalld's verdict alone: the goal of issue 14.
	m, err := sandbox.RunMeasured(fw.Env(), bin, append(args, "--kernel=skip")...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("check at %d runtime bans, --kernel=skip: %v, peak RSS %.1f MiB (one firewall-cmd --zone=public --list-all: %v)",
		scaleBans, m.Took.Round(time.Millisecond), float64(m.PeakRSS)/(1<<20), listTook.Round(time.Millisecond))
	expect(t, m.Code, 0, m.Output, want...)
	if m.Took > timeout*time.Second/2 {
		t.Errorf("the check took %v at %d rules, more than half of -t %d", m.Took, scaleBans, timeout)
	}
	if m.PeakRSS > maxCheckRSS {
		t.Errorf("peak RSS %.1f MiB at %d rules, more than %d MiB", float64(m.PeakRSS)/(1<<20), scaleBans, maxCheckRSS>>20)
	}

	// The default: the kernel's ruleset read and judged too (nft -j of
	// 10,000 rules in the sandbox's namespace). The kernel agrees with
	// firewalld here, so the verdict is the same, inside -t.
	m, err = sandbox.RunMeasured(fw.Env(), bin, append(args, "--proc-net", fw.ProcNet())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("check at %d runtime bans with the kernel read: %v, peak RSS %.1f MiB", scaleBans, m.Took.Round(time.Millisecond), float64(m.PeakRSS)/(1<<20))
	expect(t, m.Code, 0, m.Output, want...)
	if m.Took > timeout*time.Second*8/10 {
		t.Errorf("the check with the kernel read took %v at %d rules, more than 80%% of -t %d", m.Took, scaleBans, timeout)
	}
	if m.PeakRSS > maxKernelRSS {
		t.Errorf("peak RSS with the kernel read %.1f MiB at %d rules, more than %d MiB", float64(m.PeakRSS)/(1<<20), scaleBans, maxKernelRSS>>20)
	}
}
