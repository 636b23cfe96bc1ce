package imaptls

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
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
// The look-ahead below reads only -H, -p, --starttls, -4 and -6, and its
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
	host, network, port, ok := lookAhead(args)
	if !ok {
		return
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
		var d net.Dialer
		e.conn, e.err = d.DialContext(ctx, "tcp", netip.AddrPortFrom(e.addrs[0], uint16(port)).String())
		e.took = time.Since(start)
	}()
}

// lookAhead finds host, family and port in args the way the flags define
// them; ok is false when there is nothing worth dialing.
func lookAhead(args []string) (host, network string, port int, ok bool) {
	network = "ip"
	starttls := false
	value := func(i *int, arg, short, long string) (string, bool) {
		switch {
		case arg == short || arg == long:
			if *i+1 < len(args) {
				*i++
				return args[*i], true
			}
		case strings.HasPrefix(arg, long+"="):
			return arg[len(long)+1:], true
		case len(arg) > len(short) && strings.HasPrefix(arg, short) && !strings.HasPrefix(arg, "--"):
			return arg[len(short):], true
		}
		return "", false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if v, found := value(&i, a, "-H", "--host"); found {
			host = v
			continue
		}
		if v, found := value(&i, a, "-p", "--port"); found {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 65535 {
				return "", "", 0, false
			}
			port = n
			continue
		}
		switch a {
		case "--starttls":
			starttls = true
		case "-4", "--ipv4":
			network = "ip4"
		case "-6", "--ipv6":
			network = "ip6"
		case "-h", "--help", "-V", "--version", "--":
			return "", "", 0, false
		}
	}
	if port == 0 {
		port = 993
		if starttls {
			port = 143
		}
	}
	return host, network, port, host != ""
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
