package fail2ban

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// Backoff between connect attempts to a socket whose listen backlog is full.
const (
	firstRetry = 2 * time.Millisecond
	maxRetry   = 50 * time.Millisecond
)

// dial connects to the control socket, waiting in line while the server is
// busy. fail2ban-server listens with a backlog of 1 (asyncserver.py
// AsyncServer.start: self.listen(1)) and accepts one connection per pass of
// its asyncore loop; a non-blocking connect (Go's) to a unix socket whose
// backlog is full fails at once with EAGAIN, where fail2ban-client's blocking
// connect (client/csocket.py) simply sleeps in the kernel until the server
// accepts. Two hundred checks started together would otherwise mostly fail
// with EAGAIN although the server is healthy, so EAGAIN is retried, with a
// jittered backoff, until ctx ends: a busy server is waited for within -t;
// only one that accepts nothing until then is reported as hung.
func (s *SocketSource) dial(ctx context.Context) (*conn, error) {
	start := time.Now()
	host := s.Host
	if host == nil {
		host = remote.Local{}
	}
	wait := firstRetry
	for attempt := 1; ; attempt++ {
		c, err := host.DialUnix(ctx, s.Path)
		if err == nil {
			if dl, ok := ctx.Deadline(); ok {
				_ = c.SetDeadline(dl)
			}
			// A ctx cancelled without a deadline must still unblock reads.
			stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
			return &conn{c: c, src: s, start: start, stop: stop}, nil
		}
		if !errors.Is(err, syscall.EAGAIN) {
			if attempt > 1 && ctx.Err() != nil {
				// the deadline passed during a retry rather than between
				// two: still a backlog that stayed full, not a slow dial
				return nil, s.backlogFull(start, attempt)
			}
			return nil, dialFailed(s.classifyDial(ctx, err, start))
		}
		// jitter: checks started together must not retry together
		d := wait/2 + rand.N(wait)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, s.backlogFull(start, attempt)
		case <-t.C:
		}
		wait = min(wait*2, maxRetry)
	}
}

// backlogFull is the answer when every try until the deadline found the
// listen queue full.
func (s *SocketSource) backlogFull(start time.Time, attempts int) error {
	return dialFailed(gatherErr(KindTimeout, "fail2ban-server is hung or overloaded: check its log, or restart it (systemctl restart fail2ban)",
		"fail2ban socket %s accepted no connection in %s (%d tries, listen backlog full): fail2ban-server is hung or overloaded", s.Path, since(start), attempts))
}

func (s *SocketSource) classifyDial(ctx context.Context, err error, start time.Time) error {
	switch {
	case errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT):
		return gatherErr(KindMissing, startFix, "fail2ban socket %s does not exist: is fail2ban running?", s.Path)
	case errors.Is(err, syscall.ECONNREFUSED):
		return gatherErr(KindRefused, "systemctl restart fail2ban",
			"fail2ban socket %s refuses connections: fail2ban-server is not running (stale socket)", s.Path)
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		return gatherErr(KindPermission, permissionFix(s.Path, s.clientPath()),
			"permission denied on fail2ban socket %s (it is root-only by default)", s.Path)
	case errors.Is(err, syscall.ENOTSOCK):
		return gatherErr(KindMissing, startFix, "%s is not a socket", s.Path)
	case isTimeout(ctx, err):
		return gatherErr(KindTimeout, "", "connecting to fail2ban socket %s timed out after %s", s.Path, since(start))
	}
	return gatherErr(KindOther, "", "connecting to fail2ban socket %s: %v", s.Path, err)
}

func (s *SocketSource) clientPath() string {
	if s.ClientPath != "" {
		return s.ClientPath
	}
	return "/usr/bin/fail2ban-client"
}

func isTimeout(ctx context.Context, err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) || ctx.Err() != nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
