package main

import (
	"strings"
	"testing"
)

// A jail whose actions have no port (the sandbox's dummy action): both
// backends ask, get no port, judge the default mail ports and say so; the
// leftover on 993 is still found.
func TestKernelJailPortsFallback(t *testing.T) {
	f := startF2B(t, "127.0.0.1/8 "+trusted)
	h := startNetHost(t)
	if err := h.Nft(`table inet f2b-table {
	set addr-set-dovecot { type ipv4_addr; elements = { ` + trusted + ` } }
	chain f2b-chain { type filter hook input priority filter - 1; policy accept;
		tcp dport 993 ip saddr @addr-set-dovecot reject; }
}`); err != nil {
		t.Fatal(err)
	}
	if !refused(t, h.Client) {
		t.Fatal("the leftover ban did not refuse the office")
	}
	for _, backend := range []string{"socket", "client"} {
		code, out := run(t, "--backend", backend, "--socket", f.Socket, "--ip", trusted, "--proc-net", h.ProcNet())
		if code != 2 || !strings.Contains(out, "is refused on 993/tcp (jail dovecot) by rule") ||
			!strings.Contains(out, "kernel: jail dovecot's ports were not read (none of its actions has a port): judged on the default mail ports 25/tcp,") {
			t.Errorf("--backend %s: exit %d:\n%s", backend, code, out)
		}
	}
}
