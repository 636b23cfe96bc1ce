package fail2ban

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestHostileSockets is the hostile-peer matrix for the socket backend:
// each peer gets the expected state within the deadline plus one second,
// with one clear first line, no panic, and no goroutine or file descriptor
// left behind by the check.
func TestHostileSockets(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	for _, tc := range []struct {
		mode  string
		first string
	}{
		{"silent", "stalled: no progress reading the reply to `status`"},
		{"never-accepts", "accepted no connection in"},
		{"truncated-pickle", "answered `status` with something that is not a fail2ban reply: not a fail2ban reply: corrupt pickle"},
		{"drip", "answered too slowly: "},
		{"reset", "reset the connection while reading the reply to `status`"},
		{"garbage", "answered `status` with something that is not a fail2ban reply"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			path := startHostilePeer(t, tc.mode)
			fds := sandbox.OpenFDs(t)
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			start := time.Now()
			r := Check(ctx, remote.Local{}, Options{Socket: path, IPs: []string{"203.0.113.7"}, Unlisted: plugin.Warning})
			took := time.Since(start)
			cancel()

			if r.State() != plugin.Unknown || !strings.Contains(r.Summary, tc.first) || strings.Contains(r.Summary, "\n") {
				t.Errorf("got %v %q, want UNKNOWN containing %q", r.State(), r.Summary, tc.first)
			}
			if len(r.Findings) != 1 || r.Findings[0].Fix == "" {
				t.Errorf("want one finding with its fix: %+v", r.Findings)
			}
			if took > timeout+time.Second {
				t.Errorf("took %v with a %v deadline", took, timeout)
			}
			if after := sandbox.OpenFDs(t); after != fds {
				t.Errorf("open file descriptors: %d before the check, %d after", fds, after)
			}
		})
	}
}
