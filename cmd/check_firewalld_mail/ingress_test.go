package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestIngressPriorityDecidesZoneDispatch: zone block catches every
// IPv4 client by source (0.0.0.0/0), zone internal (imaps open) holds the
// interface mail0. At equal priority both releases dispatch by source
// first: IPv4 is refused, IPv6 served. On firewalld 2.x, internal at
// ingress-priority -1 comes before block: IPv4 is served too. 1.3 has no
// such priority (firewall-cmd refuses the option). The kernel's answer to
// the client is the reference each time.
func TestIngressPriorityDecidesZoneDispatch(t *testing.T) {
	fw, client := startProbedFirewalld(t)
	version := strings.TrimSpace(mustOut(t, fw, "--version"))

	mustCmd(t, fw, "--permanent", "--zone=internal", "--add-service=imaps")
	mustCmd(t, fw, "--permanent", "--zone=internal", "--add-interface="+sandbox.MailIfname)
	mustCmd(t, fw, "--permanent", "--zone=block", "--add-source=0.0.0.0/0")
	mustCmd(t, fw, "--reload")
	probe := func(want4 bool) {
		t.Helper()
		for _, p := range []struct {
			src, dst string
			served   bool
		}{{sandbox.ClientIPv4, sandbox.MailIPv4, want4}, {sandbox.ClientIPv6, sandbox.MailIPv6, true}} {
			got, err := client.Connect(p.src, p.dst, 993, 700*time.Millisecond)
			if served := err == nil && got == "993"; served != p.served {
				t.Errorf("firewalld %s: kernel %s -> 993: %q %v; want served %v", version, p.src, got, err, p.served)
			}
		}
	}
	args := []string{"--service", "imaps", "--family", "both", "--proc-net", fw.ProcNet()}

	probe(false)
	code, out := check(t, fw, args...)
	expect(t, code, 2, out, "imaps (993/tcp) is closed for IPv4 in runtime zone block")

	if strings.HasPrefix(version, "1.") {
		if out, err := fw.Cmd("--permanent", "--zone=internal", "--set-ingress-priority=-1"); err == nil {
			t.Fatalf("firewalld %s accepted --set-ingress-priority: %s", version, out)
		}
		return
	}
	mustCmd(t, fw, "--permanent", "--zone=internal", "--set-ingress-priority=-1")
	// Not reloaded yet: the kernel still refuses IPv4; the check says so,
	// and that the next reload changes the order (drift).
	probe(false)
	code, out = check(t, fw, args...)
	expect(t, code, 2, out, "imaps (993/tcp) is closed for IPv4 in runtime zone block",
		"zone ingress-priority differs: runtime 0, permanent -1", "firewall-cmd --permanent --zone=internal --set-ingress-priority=<wanted> && firewall-cmd --reload")
	mustCmd(t, fw, "--reload")
	probe(true)
	code, out = check(t, fw, args...)
	expect(t, code, 0, out, "OK: all 1 required services and ports open in zone internal")
}
