package fail2ban

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// defaultResolver resolves where fail2ban does: on the mail host.
func defaultResolver(host remote.Host) Resolver {
	if host.Remote() {
		return hostResolver{host}
	}
	return net.DefaultResolver
}

// lookup resolves name as fail2ban's DNSUtils.dnsToIp does (ipdns.py):
// socket.getaddrinfo(name, None, AF_INET, 0, IPPROTO_TCP), then the same for
// AF_INET6, every result made an IPAddr (an IPv4-mapped AAAA answer becomes
// IPv4 in IPAddr.__init). It returns plain (unmapped) addresses without
// duplicates. glibc's getaddrinfo accepts the inet_aton spellings of an IPv4
// address ("127.1", "0x7f.0.0.1", "2130706433", "010.0.0.1" = 8.0.0.1) for
// AF_INET and refuses them for AF_INET6; Go's own resolver would send them
// to DNS instead, so they are decoded here first.
func lookup(ctx context.Context, r Resolver, name string) ([]netip.Addr, error) {
	if a, ok := InetAton(name); ok {
		return []netip.Addr{a}, nil
	}
	if a, err := netip.ParseAddr(name); err == nil { // "fe80::1%lo": a scoped literal
		return []netip.Addr{a.Unmap().WithZone("")}, nil
	}
	addrs, err := r.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		if a = a.Unmap().WithZone(""); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// InetAton decodes the numeric IPv4 forms glibc's inet_aton accepts (and
// getaddrinfo with them, via __inet_aton_exact: nothing may follow): one to
// four dot-separated parts, each decimal, octal (leading 0) or hex (0x), the
// last part filling the remaining bytes.
func InetAton(s string) (netip.Addr, bool) {
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := atonPart(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var ip uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 0xff {
			return netip.Addr{}, false
		}
		ip |= v << (24 - 8*uint(i))
	}
	last := vals[len(vals)-1]
	if last > uint64(0xffffffff)>>(8*uint(len(vals)-1)) {
		return netip.Addr{}, false
	}
	ip |= last
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)}), true
}

func atonPart(p string) (uint64, bool) {
	base, digits := 10, p
	switch {
	case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
		base, digits = 16, p[2:]
	case len(p) > 1 && p[0] == '0':
		base, digits = 8, p[1:]
	}
	if digits == "" || strings.IndexFunc(digits, func(r rune) bool { return r == '+' || r == '-' || r == '_' }) >= 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(digits, base, 64)
	return v, err == nil && v <= 0xffffffff
}

// hostResolver resolves on a remote mail host with `getent ahosts NAME`
// (glibc getaddrinfo there, through its nsswitch, /etc/hosts and DNS).
type hostResolver struct{ host remote.Host }

func (h hostResolver) LookupNetIP(ctx context.Context, _ string, name string) ([]netip.Addr, error) {
	if name == "" || strings.HasPrefix(name, "-") || strings.ContainsAny(name, " \t\r\n\x00") {
		return nil, fmt.Errorf("%q is not a host name", name)
	}
	out, err := h.host.Run(ctx, []string{"getent", "ahosts", name})
	if err != nil {
		return nil, err
	}
	switch out.ExitCode {
	case 0:
	case 2:
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	default:
		return nil, fmt.Errorf("getent ahosts %s on %s: exit %d: %s", name, h.host.Where(), out.ExitCode, lastLine(string(out.Stderr)))
	}
	return parseGetentAhosts(out.Stdout), nil
}

// parseGetentAhosts reads "ADDRESS SOCKTYPE [CANONNAME]" lines.
func parseGetentAhosts(b []byte) []netip.Addr {
	var out []netip.Addr
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if a, err := netip.ParseAddr(f[0]); err == nil && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// selfIPs mirrors DNSUtils.getSelfIPs (ipdns.py): the addresses of
// "localhost" and of the mail host's own name (socket.gethostname there, as
// `uname -n` prints it; over SSH that is the remote host's name, not ours).
// timedOut reports a lookup that did not finish (our deadline, or the
// resolver's own).
//
// withInterfaces adds the host's interface addresses first (fail2ban 1.1);
// a failure to list them only drops them, leaving 1.0's rule, which at
// worst warns about an address fail2ban ignores.
func selfIPs(ctx context.Context, host remote.Host, r Resolver, withInterfaces bool) (out []netip.Addr, timedOut bool) {
	if withInterfaces {
		out, _ = interfaceAddrs(ctx, host)
	}
	names := []string{"localhost"}
	if h := hostname(ctx, host); h != "" {
		names = append(names, h)
	}
	for _, n := range names {
		addrs, err := lookup(ctx, r, n)
		timedOut = timedOut || lookupTimedOut(ctx, err)
		for _, a := range addrs {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out, timedOut || ctx.Err() != nil
}

// lookupTimedOut tells a lookup that did not finish from a name that does
// not resolve.
func lookupTimedOut(ctx context.Context, err error) bool {
	if err == nil {
		return false
	}
	var de *net.DNSError
	return ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &de) && de.IsTimeout)
}

func hostname(ctx context.Context, host remote.Host) string {
	if !host.Remote() {
		h, _ := os.Hostname()
		return h
	}
	out, err := host.Run(ctx, []string{"uname", "-n"})
	if err != nil || out.ExitCode != 0 {
		return ""
	}
	// The last line: a mail host's shell may greet on stdout before every
	// command (a .bashrc echo), and that greeting is not the host's name.
	name := strings.TrimSpace(string(out.Stdout))
	if i := strings.LastIndexByte(name, '\n'); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSpace(name)
}
