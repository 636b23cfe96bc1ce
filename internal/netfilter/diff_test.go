package netfilter

import (
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestDifferential loads many generated rulesets into a real kernel and
// compares, for two sources of each family and three ports, the judge's
// verdict with a real client's. NETFILTER_DIFF_N sets how many (default
// 60), NETFILTER_DIFF_SEED the seed (printed on failure).
func TestDifferential(t *testing.T) {
	n, seed := 60, uint64(20261207)
	if v, err := strconv.Atoi(os.Getenv("NETFILTER_DIFF_N")); err == nil {
		n = v
	}
	if v, err := strconv.ParseUint(os.Getenv("NETFILTER_DIFF_SEED"), 10, 64); err == nil {
		seed = v
	}
	r := rand.New(rand.NewPCG(seed, 1))
	h := startHost(t)
	loaded, refusedByNft, verdicts := 0, 0, 0
	for i := 0; i < n; i++ {
		text := genRuleset(r)
		if err := h.Nft(text); err != nil {
			refusedByNft++ // nft's own checks (e.g. a goto into a chain with return)
			t.Logf("nft refused: %.300v", err)
			continue
		}
		loaded++
		rs := readHost(t, h.NetNS(), h.ProcNet())
		verdicts += compareAll(t, rs, h.Client, text)
		if t.Failed() {
			t.Fatalf("seed %d, ruleset %d:\n%s", seed, i, text)
		}
	}
	t.Logf("%d rulesets loaded (%d refused by nft), %d verdicts compared with the client's", loaded, refusedByNft, verdicts)
	if loaded < n/2 {
		t.Errorf("only %d of %d generated rulesets loaded: the generator is broken", loaded, n)
	}
}

// compareAll probes every source and port at once (a drop costs a
// timeout) and compares each with the judge.
func compareAll(t *testing.T, rs *Ruleset, c *sandbox.Client, text string) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := 0
	for _, src := range []string{sandbox.ClientIPv4, sandbox.ClientAlt4, sandbox.ClientIPv6, sandbox.ClientAlt6} {
		for _, port := range testPorts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := Judge(rs, query(src, port))
				if v.Outcome == CannotTell {
					t.Errorf("%s → %d: cannot tell (%s: %s)", src, port, v.Rule, v.Why)
					return
				}
				ok, err := probe(t, c, src, port, v.Outcome == Accepted)
				if ok != (v.Outcome == Accepted) {
					ok, err = probe(t, c, src, port, true) // see agree
				}
				mu.Lock()
				defer mu.Unlock()
				count++
				if ok != (v.Outcome == Accepted) {
					t.Errorf("%s → %d: judge says %s (%s), client accepted=%v (%v)", src, port, v.Outcome, v.Rule, ok, err)
				}
			}()
		}
	}
	wg.Wait()
	return count
}
