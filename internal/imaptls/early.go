package imaptls

import (
	"context"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/imaptls/earlysyn"
)

// Early connect. Against Dovecot the critical path of a check is the server,
// not us: with Debian's default service imap-login (service_count = 1, no
// process_min_avail) the master forks a fresh imap-login for every
// connection, which then loads its settings and initialises OpenSSL; about
// 7 ms on loopback before the ServerHello leaves, against under 1 ms of our
// own handshake work. That work starts when our SYN arrives. So the command
// connects first, while the rest of the process starts (flag parsing, the CA
// file, the password), and Gather takes over the connection.
//
// The look-ahead (earlysyn.LookAhead) reads only -H, -p, --starttls, -4 and -6, and its
// result is used only when it matches the Config that the real flag parser
// produced (same host, family and port), so a look-ahead that misreads the
// command line costs the optimisation, never correctness: a mismatch is
// closed and Gather dials as it always did. Everything after connect (the
// handshake, the whole chain and name verification) is unchanged.

// earlyDial is one connection started before the flags were parsed.
type earlyDial struct {
	host, network string
	port          int
	cancel        context.CancelFunc

	resolved   chan struct{} // closed when addrs/resolveErr are set
	addrs      []netip.Addr  // in resolver order
	resolveErr error

	done chan struct{} // closed when conn/err are set (after resolved)
	conn net.Conn      // to addrs[0]
	err  error
	took time.Duration // the dial alone
}

var (
	earlyMu sync.Mutex
	early   *earlyDial
)

// EarlyConnect starts resolving and connecting to the host the command line
// names, in the background. Call it first thing in main with os.Args[1:];
// Gather picks the connection up. It does nothing for --help, --version or
// when no host is given.
func EarlyConnect(args []string) {
	host, network, port, ok := earlysyn.LookAhead(args)
	if !ok {
		return
	}
	syn := earlysyn.Take()
	if syn != nil && (syn.Host != host || syn.Network != network || syn.Port != port) {
		syscall.Close(syn.FD)
		syn = nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &earlyDial{host: host, network: network, port: port, cancel: cancel,
		resolved: make(chan struct{}), done: make(chan struct{})}
	earlyMu.Lock()
	early = e
	earlyMu.Unlock()
	go func() {
		defer close(e.done)
		e.addrs, e.resolveErr = resolve(ctx, host, network, nil)
		close(e.resolved)
		if e.resolveErr != nil {
			return
		}
		start := time.Now()
		target := netip.AddrPortFrom(e.addrs[0], uint16(port))
		if syn != nil {
			e.conn, e.err = adopt(ctx, syn.FD, target)
		} else {
			var d net.Dialer
			e.conn, e.err = d.DialContext(ctx, "tcp", target.String())
		}
		e.took = time.Since(start)
	}()
}

// takeEarly hands the early connection to Gather when it was made for the
// same host, family and port; nil otherwise (a mismatch is closed). Only the
// first caller gets it.
func takeEarly(host, network string, port int) *earlyDial {
	earlyMu.Lock()
	e := early
	early = nil
	earlyMu.Unlock()
	if e != nil && (e.host != host || e.network != network || e.port != port) {
		e.discard()
		return nil
	}
	return e
}

// waitResolved is resolve's answer from the early start, within ctx.
func (e *earlyDial) waitResolved(ctx context.Context) ([]netip.Addr, error) {
	select {
	case <-e.resolved:
		return e.addrs, e.resolveErr
	case <-ctx.Done():
		e.discard()
		return nil, ctx.Err()
	}
}

// waitConn is the dial's answer, within ctx: a deadline that passes while
// the early SYN is still unanswered is a connect timeout, as it would have
// been for a dial started now.
func (e *earlyDial) waitConn(ctx context.Context) (net.Conn, time.Duration, error) {
	select {
	case <-e.done:
		return e.conn, e.took, e.err
	case <-ctx.Done():
		e.discard()
		return nil, 0, ctx.Err()
	}
}

// adopt turns the connect earlysyn started at init into a net.Conn once it
// has completed, with the errors a net.Dialer would give (refused,
// unreachable, the deadline), so the connect phase reads the same.
func adopt(ctx context.Context, fd int, target netip.AddrPort) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "imaps")
	c, err := net.FileConn(f) // a dup: the original is closed below
	f.Close()
	if err != nil {
		return nil, err
	}
	wrap := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(target), Err: os.NewSyscallError("connect", err)}
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	var connErr error
	// Writable means connected or failed; getpeername tells which (the
	// way net's own connect does). Until then the poller waits.
	werr := rc.Write(func(s uintptr) bool {
		if _, err := syscall.Getpeername(int(s)); err == nil {
			return true
		}
		soerr, err := syscall.GetsockoptInt(int(s), syscall.SOL_SOCKET, syscall.SO_ERROR)
		switch {
		case err != nil:
			connErr = err
		case soerr != 0:
			connErr = syscall.Errno(soerr)
		default:
			return false // still connecting
		}
		return true
	})
	if werr == nil && ctx.Err() != nil {
		werr = ctx.Err()
	}
	if werr != nil || connErr != nil {
		c.Close()
		if connErr != nil {
			return nil, wrap(connErr)
		}
		return nil, wrap(werr)
	}
	_ = c.SetWriteDeadline(time.Time{})
	return c, nil
}

// discard ends an early dial that will not be used.
func (e *earlyDial) discard() {
	e.cancel()
	go func() {
		<-e.done
		if e.conn != nil {
			e.conn.Close()
		}
	}()
}
