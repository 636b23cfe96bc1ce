package fail2ban

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// stallResolver is a resolver that never answers (a dead DNS server).
type stallResolver struct{}

func (stallResolver) LookupNetIP(ctx context.Context, _, _ string) ([]netip.Addr, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A name in ignoreip whose lookup does not finish in time makes UNKNOWN only
// the verdicts that depend on it: an IP a network entry covers is
// whitelisted whatever the name resolves to (fail2ban checks the entries
// in turn), one that nothing else covers cannot be judged. Bans, already
// read, are still reported.
func TestIgnoreIPLookupTimeout(t *testing.T) {
	path := capturedServer(t) // every jail: the captured ignoreip (with no-such-host.invalid), ignoreself on
	run := func(ip string) plugin.Result {
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		return Check(ctx, remote.Local{}, Options{Socket: path, IPs: []string{ip}, Unlisted: plugin.Warning, Resolver: stallResolver{}})
	}
	expect(t, run("198.51.100.7"), plugin.OK, "198.51.100.7 not banned and whitelisted in all 3 jails checked")
	r := run("192.0.2.9")
	expect(t, r, plugin.Unknown, "cannot tell whether 192.0.2.9 is whitelisted in dovecot: resolving no-such-host.invalid and the mail host's own names (ignoreself) did not finish in time",
		"whitelisted in recidive: resolving no-such-host.invalid", "getent ahosts no-such-host.invalid")
	// a ban (already read) is a fact, and CRITICAL wins
	r = run("203.0.113.7")
	if r.State() != plugin.Critical || !strings.Contains(strings.Join(findingTexts(r), "\n"), "cannot tell whether 203.0.113.7 is whitelisted in dovecot") {
		t.Fatalf("%v %q %v", r.State(), r.Summary, findingTexts(r))
	}
}

func TestEvaluateTimedOutFacts(t *testing.T) {
	j := JailState{Name: "dovecot", IgnoreIP: []string{"office.example", "10.0.0.0/8"}, IgnoreSelf: true}
	res := map[string]Resolution{"office.example": {TimedOut: true, Err: context.DeadlineExceeded}}
	for _, tc := range []struct {
		ip       string
		selfLate bool
		state    plugin.State
	}{
		{"10.1.2.3", false, plugin.OK},
		{"10.1.2.3", true, plugin.OK},
		{"203.0.113.7", false, plugin.Unknown},
	} {
		f := Facts{Targets: []Target{target(tc.ip)}, Selected: []string{"dovecot"}, Jails: []JailState{j}, Resolved: res, SelfTimedOut: tc.selfLate}
		if r := Evaluate(f, Config{Unlisted: plugin.Warning}); r.State() != tc.state {
			t.Errorf("%s (self late %v): %v %q", tc.ip, tc.selfLate, r.State(), r.Summary)
		}
	}
	// only ignoreself unknown: still UNKNOWN, and the fix is about the host's name
	f := Facts{Targets: []Target{target("203.0.113.7")}, Jails: []JailState{{Name: "j", IgnoreSelf: true}}, SelfTimedOut: true}
	r := Evaluate(f, Config{Unlisted: plugin.Warning})
	if r.State() != plugin.Unknown || !strings.Contains(r.Findings[0].Fix, "getent ahosts $(uname -n)") {
		t.Fatalf("%v %+v", r.State(), r.Findings)
	}
}

func findingTexts(r plugin.Result) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Text)
	}
	return out
}
