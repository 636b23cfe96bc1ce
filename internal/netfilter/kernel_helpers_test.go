package netfilter

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// Ports the host namespace listens on in every kernel test.
var testPorts = []int{143, 993, 2222}

// startHost makes a host and a client namespace, the host listening on
// testPorts; it fails (never skips) when that cannot be done.
func startHost(t *testing.T) *sandbox.NetHost {
	t.Helper()
	if err := sandbox.RequireRoot("network namespaces"); err != nil {
		t.Fatal(err)
	}
	h, err := sandbox.StartNetHostServing(t.TempDir(), testPorts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

// readHost reads the host namespace's ruleset as the checks do.
func readHost(t *testing.T, ns, procNet string) *Ruleset {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rs, err := Read(ctx, remote.Local{}, ReadOptions{Prefix: []string{"/usr/bin/nsenter", "--net=" + ns}, ProcNet: procNet})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// probe is the reference: does a TCP handshake from src to the host's
// address of src's family on port complete? A timeout (a drop) is retried
// once with a longer wait when the caller expected acceptance, so that a
// loaded machine does not pass for a drop.
func probe(t *testing.T, c *sandbox.Client, src string, port int, expectAccept bool) (bool, error) {
	t.Helper()
	dst := sandbox.MailIPv4
	if netip.MustParseAddr(src).Is6() {
		dst = sandbox.MailIPv6
	}
	err := c.Probe(src, dst, port, 500*time.Millisecond)
	if err != nil && expectAccept && errors.Is(err, os.ErrDeadlineExceeded) {
		err = c.Probe(src, dst, port, 4*time.Second)
	}
	return err == nil, err
}

// query is the judge's question for a probe from src to port on mail0.
func query(src string, port int) Query {
	a := netip.MustParseAddr(src)
	return Query{IPv6: a.Is6(), Source: netip.PrefixFrom(a, a.BitLen()), Iface: sandbox.MailIfname, Port: uint16(port)}
}

// agree asserts that the judge's verdict for src→port is what the probe
// sees: accepted when the handshake completes, refused (or refused for
// some) when it does not. "Cannot tell" is a failure here: these cases
// are all ones the judge must decide.
func agree(t *testing.T, rs *Ruleset, c *sandbox.Client, src string, port int) Verdict {
	t.Helper()
	v := Judge(rs, query(src, port))
	if v.Outcome == CannotTell {
		t.Errorf("%s → %d: judge cannot tell (%s: %s)", src, port, v.Rule, v.Why)
		return v
	}
	ok, err := probe(t, c, src, port, v.Outcome == Accepted)
	if ok != (v.Outcome == Accepted) {
		// The rules are deterministic: a disagreement a second, unhurried
		// probe does not repeat was the transport on a loaded machine.
		ok, err = probe(t, c, src, port, true)
	}
	if ok != (v.Outcome == Accepted) {
		t.Errorf("%s → %d: judge says %s (%s), probe says accepted=%v (%v)", src, port, v.Outcome, v.Rule, ok, err)
	}
	return v
}
