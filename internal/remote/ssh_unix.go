package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// ErrStreamLocalRefused is sshd not opening a stream-local channel to a
// unix socket. OpenSSH answers "open failed" (reason 2) alike when
// forwarding is refused (AllowStreamLocalForwarding or AllowTcpForwarding
// no, restrict in authorized_keys) and when the socket is missing or the SSH
// user may not open it, so the client cannot tell these apart. A caller that
// has another way to ask, such as running fail2ban-client remotely, falls
// back to it; that way also names the real cause.
var ErrStreamLocalRefused = errors.New("sshd did not open the socket (stream-local forwarding refused, or the socket is missing or not accessible to the SSH user)")

// DialUnix opens a direct-streamlocal@openssh.com channel to path on the
// mail host.
func (s *SSH) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := s.client.Dial("unix", path)
		done <- result{c, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("unix socket %s over SSH: opening the channel stalled", path)
	}
	var open *ssh.OpenChannelError
	switch {
	case r.err != nil && expired(ctx):
		return nil, fmt.Errorf("unix socket %s over SSH: opening the channel stalled", path)
	case errors.As(r.err, &open):
		return nil, fmt.Errorf("unix socket %s over SSH: %w: sshd said %q", path, ErrStreamLocalRefused, strings.TrimSpace(open.Message))
	case r.err != nil:
		return nil, fmt.Errorf("unix socket %s over SSH: %v", path, r.err)
	}
	return &deadlineConn{Conn: r.c}, nil
}

// deadlineConn gives an SSH channel the deadlines x/crypto's channels
// reject: when one passes, the channel is closed and the blocked Read or
// Write returns a timeout error, as a socket's would.
type deadlineConn struct {
	net.Conn
	mu       sync.Mutex
	timer    *time.Timer
	expired  bool
	deadline time.Time
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.deadline = t
	if t.IsZero() || c.expired {
		return nil
	}
	c.timer = time.AfterFunc(time.Until(t), func() {
		c.mu.Lock()
		c.expired = true
		c.mu.Unlock()
		c.Conn.Close()
	})
	return nil
}

// SetReadDeadline and SetWriteDeadline share the one deadline: a channel
// closed for one direction is closed for both.
func (c *deadlineConn) SetReadDeadline(t time.Time) error  { return c.SetDeadline(t) }
func (c *deadlineConn) SetWriteDeadline(t time.Time) error { return c.SetDeadline(t) }

func (c *deadlineConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return n, c.wrap(err)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	return n, c.wrap(err)
}

func (c *deadlineConn) Close() error {
	c.mu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// wrap turns the error of a channel closed by the timer into a timeout.
func (c *deadlineConn) wrap(err error) error {
	if err == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired {
		return &net.OpError{Op: "read", Net: "unix", Err: os.ErrDeadlineExceeded}
	}
	return err
}
