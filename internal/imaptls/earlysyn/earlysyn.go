// Package earlysyn sends the SYN of check_imaps_tls's connection while the Go
// runtime is still initialising the rest of the program.
//
// Why: against Dovecot the critical path is the server. With Debian's stock
// service imap-login (one process per connection, none kept in reserve) the
// master forks an imap-login for every connection, which loads its settings
// and initialises OpenSSL before it can answer the ClientHello: about 7 ms on
// loopback, and it starts with our SYN. The package initialisers of the
// plugin (crypto/tls, crypto/x509, the flag parser) take about 1 ms after
// the runtime starts; this package has no imports but syscall, so Go
// initialises it among the first (packages are initialised in import path
// order as soon as their imports are), and the SYN leaves during that
// millisecond instead of after it.
//
// Only for an IPv4 literal host (-H 192.0.2.1): names need the resolver and
// IPv6 is left to imaptls.EarlyConnect, which runs a moment later, in main.
// The socket is only a head start: imaptls adopts it when the parsed flags
// name the same host, family and port, and otherwise closes it. Any error
// here (the address, the socket, the connect) just means no head start; the
// ordinary dial then meets and reports it.
package earlysyn

import "syscall"

// Socket is a TCP connect in progress to Host:Port.
type Socket struct {
	FD            int
	Host, Network string
	Port          int
}

var early *Socket

// Take returns the connect started at init, once; nil if none.
func Take() *Socket {
	s := early
	early = nil
	return s
}

func init() {
	args := cmdline()
	if len(args) < 2 {
		return
	}
	host, network, port, ok := LookAhead(args[1:])
	if !ok || network == "ip6" {
		return
	}
	addr, ok := parseIPv4(host)
	if !ok {
		return
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return
	}
	// Go's own dialer sets TCP_NODELAY; so must we, before any data.
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: port, Addr: addr}); err != nil && err != syscall.EINPROGRESS {
		syscall.Close(fd)
		return
	}
	early = &Socket{FD: fd, Host: host, Network: network, Port: port}
}

// cmdline reads argv from /proc/self/cmdline: os.Args is set by package os,
// which is initialised after this one.
func cmdline() []string {
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	var buf []byte
	chunk := make([]byte, 4096)
	for len(buf) < 1<<20 {
		n, err := syscall.Read(fd, chunk)
		if n <= 0 || err != nil {
			break
		}
		buf = append(buf, chunk[:n]...)
	}
	var args []string
	start := 0
	for i, b := range buf {
		if b == 0 {
			args = append(args, string(buf[start:i]))
			start = i + 1
		}
	}
	return args
}

// LookAhead finds host, family and port in args as check_imaps_tls's flags
// define them (-H/--host, -p/--port, --starttls, -4/-6); ok is false when
// there is nothing worth dialing (no host, --help, --version). It reads the
// command line only as far as it must: the result is used only when the
// real flag parser agrees.
func LookAhead(args []string) (host, network string, port int, ok bool) {
	network = "ip"
	starttls := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if v, found := flagValue(args, &i, a, "-H", "--host"); found {
			host = v
			continue
		}
		if v, found := flagValue(args, &i, a, "-p", "--port"); found {
			n, good := atoi(v)
			if !good || n < 1 || n > 65535 {
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

// flagValue reads "-X v", "-Xv", "--long v" and "--long=v".
func flagValue(args []string, i *int, arg, short, long string) (string, bool) {
	switch {
	case arg == short || arg == long:
		if *i+1 < len(args) {
			*i++
			return args[*i], true
		}
	case len(arg) > len(long)+1 && arg[:len(long)+1] == long+"=":
		return arg[len(long)+1:], true
	case len(arg) > len(short) && arg[:len(short)] == short && arg[1] != '-':
		return arg[len(short):], true
	}
	return "", false
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseIPv4 accepts the dotted quad only, as net/netip does (no octal, no
// short forms): anything else is left to the resolver.
func parseIPv4(s string) ([4]byte, bool) {
	var out [4]byte
	part, digits, n := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 || part > 3 || n > 255 {
				return out, false
			}
			out[part] = byte(n)
			part, digits, n = part+1, 0, 0
			continue
		}
		c := s[i]
		if c < '0' || c > '9' || (digits == 1 && n == 0) || digits == 3 {
			return out, false
		}
		n = n*10 + int(c-'0')
		digits++
	}
	return out, part == 4
}
