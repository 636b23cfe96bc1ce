package netfilter

import (
	"net/netip"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestFirewalldRulesets judges firewalld's own ruleset as the real
// firewalld writes it into the kernel, and what firewalld adds beside its
// zones (a rich reject for one source, a direct rule, panic mode), against
// a client probing from another namespace.
func TestFirewalldRulesets(t *testing.T) {
	fw, err := sandbox.StartFirewalld(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fw.Stop)
	client, err := fw.AttachServing(143, 993)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Stop)
	if err := fw.OpenPermanently("imaps"); err != nil {
		t.Fatal(err)
	}
	sources := []string{sandbox.ClientIPv4, sandbox.ClientAlt4, sandbox.ClientIPv6, sandbox.ClientAlt6}
	agreeAll := func(t *testing.T) *Ruleset {
		t.Helper()
		rs := readHost(t, fw.NetNS(), fw.ProcNet())
		for _, src := range sources {
			for _, port := range []int{143, 993} {
				agree(t, rs, client, src, port)
			}
		}
		return rs
	}
	cmd := func(t *testing.T, args ...string) {
		t.Helper()
		if out, err := fw.Cmd(args...); err != nil {
			t.Fatalf("firewall-cmd %v: %v %s", args, err, out)
		}
	}

	t.Run("zones as configured", func(t *testing.T) {
		rs := agreeAll(t)
		if v := Judge(rs, query(sandbox.ClientIPv4, 993)); v.Outcome != Accepted {
			t.Errorf("993 with imaps open: %s (%s)", v.Outcome, v.Rule)
		}
	})
	t.Run("rich rule rejecting one source", func(t *testing.T) {
		rule := `rule family="ipv4" source address="10.203.0.66" reject`
		cmd(t, "--add-rich-rule="+rule)
		defer cmd(t, "--remove-rich-rule="+rule)
		rs := agreeAll(t)
		any4 := Query{Source: netip.MustParsePrefix("0.0.0.0/0"), Iface: sandbox.MailIfname, Port: 993}
		v := Judge(rs, any4)
		if v.Outcome != RefusedSome || len(v.RefusedFor) != 1 || v.RefusedFor[0].String() != "10.203.0.66/32" || v.Rule.Table != "firewalld" {
			t.Errorf("any IPv4 source: got %s for %v by %s", v.Outcome, v.RefusedFor, v.Rule)
		}
	})
	t.Run("direct rule", func(t *testing.T) {
		args := []string{"ipv4", "filter", "INPUT", "0", "-p", "tcp", "--dport", "993", "-j", "REJECT"}
		cmd(t, append([]string{"--direct", "--add-rule"}, args...)...)
		defer cmd(t, append([]string{"--direct", "--remove-rule"}, args...)...)
		rs := agreeAll(t)
		t.Logf("direct: %+v", Judge(rs, query(sandbox.ClientIPv4, 993)).Rule)
		if v := Judge(rs, query(sandbox.ClientIPv4, 993)); v.Outcome != Refused || v.Rule.Table != "filter" {
			t.Errorf("direct rule: got %s by %s", v.Outcome, v.Rule)
		}
	})
	t.Run("panic mode", func(t *testing.T) {
		cmd(t, "--panic-on")
		defer cmd(t, "--panic-off")
		rs := agreeAll(t)
		t.Logf("panic: %+v", Judge(rs, query(sandbox.ClientIPv6, 993)).Rule)
		if v := Judge(rs, query(sandbox.ClientIPv6, 993)); v.Outcome != Refused {
			t.Errorf("panic mode: got %s (%s)", v.Outcome, v.Rule)
		}
	})
}
