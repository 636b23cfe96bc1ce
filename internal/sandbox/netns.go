package sandbox

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Firewalld's network namespace, seen from outside it.

// NetNS is the path of firewalld's network namespace.
func (f *Firewalld) NetNS() string { return fmt.Sprintf("/proc/%d/ns/net", f.daemon.PID()) }

// ProcNet is /proc/net as seen inside firewalld's namespace (routes,
// addresses), for a check that must read them as the mail host would.
func (f *Firewalld) ProcNet() string { return fmt.Sprintf("/proc/%d/net", f.daemon.PID()) }

// Addresses on the veth pair between firewalld's namespace ("mail0") and
// the client's ("client0"). The client side holds a second address of each
// family, so tests can tell source ranges apart.
const (
	MailIfname = "mail0"
	MailIPv4   = "10.203.0.1"
	MailIPv6   = "fd00:203::1"
	ClientIPv4 = "10.203.0.2"
	ClientIPv6 = "fd00:203::2"
	ClientAlt4 = "10.203.0.66"
	ClientAlt6 = "fd00:203::66"
)

// Client is a second network namespace wired to firewalld's by a veth
// pair, from which a test connects as a mail client would: whatever it
// gets through is what the kernel (firewalld's nftables ruleset) lets
// through.
type Client struct {
	NetNS     string
	proc      *Process
	stopServe func() // listeners AttachServing opened
}

// AttachClient creates the client namespace (held by a sleeping process
// stopped with the test), the veth pair, addresses of both families on
// both ends and default routes in firewalld's namespace through the
// client, so that the mail host's default route leaves by mail0.
func (f *Firewalld) AttachClient() (*Client, error) {
	return attachClient(f.Dir, f.daemon.PID())
}

// attachClient wires a new client namespace to the namespace of process
// hostPID (see AttachClient).
func attachClient(dir string, hostPID int) (*Client, error) {
	hostNS := fmt.Sprintf("/proc/%d/ns/net", hostPID)
	proc, err := StartProcess("client netns", filepath.Join(dir, "client.log"), nil, "unshare", "--net", "sleep", "infinity")
	if err != nil {
		return nil, err
	}
	c := &Client{NetNS: fmt.Sprintf("/proc/%d/ns/net", proc.PID()), proc: proc}
	// unshare execs sleep once the namespace exists: wait for that.
	if err := proc.WaitFor(5*time.Second, "own network namespace", func() error {
		mine, _ := os.Readlink("/proc/self/ns/net")
		theirs, err := os.Readlink(c.NetNS)
		if err != nil || theirs == mine {
			return fmt.Errorf("namespace not yet made (%v)", err)
		}
		return nil
	}); err != nil {
		proc.Stop()
		return nil, err
	}
	fwPID, clPID := strconv.Itoa(hostPID), strconv.Itoa(proc.PID())
	in := func(ns string, args ...string) []string { return append([]string{"nsenter", "--net=" + ns}, args...) }
	steps := [][]string{
		{"ip", "link", "add", "name", MailIfname, "netns", fwPID, "type", "veth", "peer", "name", "client0", "netns", clPID},
		in(hostNS, "ip", "addr", "add", MailIPv4+"/24", "dev", MailIfname),
		in(hostNS, "ip", "addr", "add", MailIPv6+"/64", "dev", MailIfname, "nodad"),
		in(hostNS, "ip", "link", "set", MailIfname, "up"),
		in(hostNS, "ip", "route", "add", "default", "via", ClientIPv4),
		in(hostNS, "ip", "-6", "route", "add", "default", "via", ClientIPv6),
		in(c.NetNS, "ip", "link", "set", "lo", "up"),
		in(c.NetNS, "ip", "addr", "add", ClientIPv4+"/24", "dev", "client0"),
		in(c.NetNS, "ip", "addr", "add", ClientAlt4+"/24", "dev", "client0"),
		in(c.NetNS, "ip", "addr", "add", ClientIPv6+"/64", "dev", "client0", "nodad"),
		in(c.NetNS, "ip", "addr", "add", ClientAlt6+"/64", "dev", "client0", "nodad"),
		in(c.NetNS, "ip", "link", "set", "client0", "up"),
	}
	for _, argv := range steps {
		if out, err := Run(context.Background(), nil, argv...); err != nil {
			proc.Stop()
			return nil, fmt.Errorf("%s: %v %s", strings.Join(argv, " "), err, out)
		}
	}
	return c, nil
}

// Stop ends the client namespace (the veth pair goes with it).
func (c *Client) Stop() {
	if c.stopServe != nil {
		c.stopServe()
	}
	c.proc.Stop()
}

// inNetNS runs fn on an OS thread moved into the namespace, then moves
// the thread back before Go may schedule anything else on it. The thread
// must not be retired instead: a sandbox daemon started from it would get
// its Pdeathsig. Sockets made by fn stay in the namespace.
func inNetNS(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := syscall.Open("/proc/thread-self/ns/net", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer syscall.Close(home)
		fd, err := syscall.Open(ns, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer syscall.Close(fd)
		if err := setns(fd); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %v", ns, err)
			return
		}
		err = fn()
		if setns(home) == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and is retired with the goroutine
		errc <- err
	}()
	return <-errc
}

func setns(fd int) error {
	if _, _, e := syscall.RawSyscall(sysSetns, uintptr(fd), syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}

// Connect opens a TCP connection from the client namespace, from source
// address src (one of the client's) to dst:port, and returns what the
// server sent first (Serve's listeners send their port). Refused, dropped
// (timeout) and reset connections are errors.
func (c *Client) Connect(src, dst string, port int, timeout time.Duration) (string, error) {
	var got string
	err := inNetNS(c.NetNS, func() error {
		d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		conn, err := d.Dial("tcp", net.JoinHostPort(dst, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(timeout))
		b, err := io.ReadAll(io.LimitReader(conn, 64))
		got = string(b)
		return err
	})
	return got, err
}

// Serve listens on each port (both families) inside firewalld's namespace,
// as Dovecot would on the mail host, and answers each connection with the
// port number it arrived on. The listeners close with the returned func.
func (f *Firewalld) Serve(ports ...int) (stop func(), err error) {
	return serveIn(f.NetNS(), ports)
}

// serveIn is Serve in network namespace ns.
func serveIn(ns string, ports []int) (stop func(), err error) {
	var lns []net.Listener
	stop = func() {
		for _, l := range lns {
			l.Close()
		}
	}
	for _, port := range ports {
		for _, network := range []string{"tcp4", "tcp6"} {
			var ln net.Listener
			err := inNetNS(ns, func() error {
				var err error
				ln, err = net.Listen(network, ":"+strconv.Itoa(port))
				return err
			})
			if err != nil {
				stop()
				return nil, err
			}
			lns = append(lns, ln)
			go answer(ln, port)
		}
	}
	return stop, nil
}

// answer sends each connection the port it arrived on.
func answer(ln net.Listener, port int) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		fmt.Fprintf(conn, "%d", port)
		conn.Close()
	}
}

// sysSetns is setns(2) on linux/amd64 (the syscall package lacks the name).
const sysSetns = 308
