package firewalld

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/netfilter"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestKernelArrivalUnknownHidesNoRefusal: with no arrival interface known
// (no --interface, no default route), a rule on iifname cannot be decided
// for "some interface". A refusal some client really gets must not shrink
// to a detail line: the client probing from another namespace arrives on
// mail0 and is refused there, and the check says so (WARNING naming
// mail0); a rule every interface meets is CRITICAL; only firewalld's own
// table deciding by interface stays a detail line (firewalld's verdict
// judges the default zone for the same reason).
func TestKernelArrivalUnknownHidesNoRefusal(t *testing.T) {
	imaps := ruleset.Requirement{Name: "imaps", Service: "imaps", Ports: []ruleset.Port{{Port: "993", Protocol: "tcp"}}}
	cases := []struct {
		name    string
		nft     string
		refused bool // the client, arriving on mail0
		state   plugin.State
		text    string
	}{
		{"a drop on the client's interface", `table inet mine { chain input { type filter hook input priority 0; iifname "mail0" tcp dport 993 drop; }; }`,
			true, plugin.Warning, "imaps (993/tcp) over ipv4 is refused by the kernel outside firewalld's zones for clients arriving on mail0 (the arrival interface is not known: give --interface): rule 'meta iifname mail0 tcp dport 993 drop'"},
		{"a drop on every interface but another", `table inet mine { chain input { type filter hook input priority 0; iifname != "eth7" tcp dport 993 drop; }; }`,
			true, plugin.Warning, "for clients arriving on an interface no rule names"},
		{"a drop on every interface but lo", `table inet mine { chain input { type filter hook input priority 0; iifname != "lo" tcp dport 993 drop; }; }`,
			true, plugin.Critical, "imaps (993/tcp) over ipv4 is refused by the kernel outside firewalld's zones: rule"},
		// The interface in a verdict map, a named set or a concatenation:
		// an accept on the interfaces tried must not hide the refusal.
		{"a verdict map on the interface", `table inet mine { chain input { type filter hook input priority 0; tcp dport 993 iifname vmap { "mail0" : drop, "eth7" : accept }; }; }`,
			true, plugin.Warning, "for clients arriving on mail0 (the arrival interface is not known: give --interface)"},
		{"a named set of interfaces", `table inet mine { set ifs { type ifname; elements = { "mail0" }; }; chain input { type filter hook input priority 0; iifname @ifs tcp dport 993 drop; }; }`,
			true, plugin.Warning, "for clients arriving on mail0 (the arrival interface is not known: give --interface)"},
		{"the interface in a concatenation", `table inet mine { set s { type ifname . inet_service; elements = { "mail0" . 993 }; }; chain input { type filter hook input priority 0; iifname . tcp dport @s drop; }; }`,
			true, plugin.Warning, "cannot tell whether the kernel accepts imaps (993/tcp) over ipv4"},
		// nft 1.0.6 (Debian 12) leaves the device out of its JSON; its
		// text listing names it.
		{"a netdev ingress chain on the client's device", `table netdev mine { chain in { type filter hook ingress device "mail0" priority 0; tcp dport 993 drop; }; }`,
			true, plugin.Warning, "is refused by the kernel outside firewalld's zones for clients arriving on mail0 (the arrival interface is not known: give --interface): rule 'tcp dport 993 drop' in chain in of table netdev mine"},
		// A rule the judge cannot read whatever the interface: saying
		// "give --interface" would send the admin the wrong way.
		{"a match not understood, whatever the interface", `table inet mine { chain input { type filter hook input priority 0; tcp dport 993 meta cpu 99 drop; }; }`,
			false, plugin.Warning, "cannot tell whether the kernel accepts imaps (993/tcp) over ipv4: rule 'tcp dport 993 meta cpu 99 drop'"},
		{"firewalld's own dispatch by interface", `table inet firewalld { chain filter_INPUT { type filter hook input priority 10; iifname "mail0" tcp dport 993 reject; }; }`,
			true, plugin.OK, "depends on the arrival interface, which is not known"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := sandbox.StartNetHostServing(t.TempDir(), 993)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(h.Stop)
			if err := h.Nft(c.nft); err != nil {
				t.Fatal(err)
			}
			refused := h.Client.Probe(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 700*time.Millisecond) != nil &&
				h.Client.Probe(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 3*time.Second) != nil
			if refused != c.refused {
				t.Fatalf("the client arriving on mail0: refused=%v, the case expects %v", refused, c.refused)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			rs, err := netfilter.Read(ctx, remote.Local{}, netfilter.ReadOptions{Prefix: []string{"/usr/bin/nsenter", "--net=" + h.NetNS()}, ProcNet: h.ProcNet()})
			if err != nil {
				t.Fatal(err)
			}
			r := plugin.Result{}
			r.Add(plugin.OK, "firewalld's verdict", "")
			evaluateKernel(&r, kernelFacts{mode: netfilter.ModeAuto, got: netfilter.Gathered{Ruleset: rs}}, Facts{Served: []string{ruleset.IPv4}}, []ruleset.Requirement{imaps})
			text := resultText(r)
			if r.State() != c.state || !containsAny(text, strings.Split(c.text, "|")) {
				t.Errorf("state %s, want %s with %q:\n%s", r.State(), c.state, c.text, text)
			}
		})
	}
}

func resultText(r plugin.Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString("[" + f.State.String() + "] " + f.Text + "\n")
	}
	for _, d := range r.Details {
		b.WriteString(d + "\n")
	}
	return b.String()
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
