package sandbox

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// NetHost is a bare network namespace standing for the mail host, with a
// client namespace wired to it (the same veth pair and addresses as
// Firewalld.AttachClient), for tests that load rules with nft or iptables
// themselves and probe them from the client.
type NetHost struct {
	Dir       string
	Client    *Client
	proc      *Process
	stopServe func()
}

// StartNetHost makes the host namespace (held by a sleeping process,
// stopped with Stop) and attaches a client. Neighbour entries are static
// on both sides, so that a ruleset dropping ICMPv6 (neighbour discovery)
// still lets a TCP probe show what it does to TCP.
func StartNetHost(dir string) (*NetHost, error) {
	proc, err := StartProcess("host netns", filepath.Join(dir, "host.log"), nil, "unshare", "--net", "sleep", "infinity")
	if err != nil {
		return nil, err
	}
	h := &NetHost{Dir: dir, proc: proc}
	if err := proc.WaitFor(5*time.Second, "own network namespace", nsReady(h.NetNS())); err != nil {
		proc.Stop()
		return nil, err
	}
	if h.Client, err = attachClient(dir, proc.PID()); err != nil {
		proc.Stop()
		return nil, err
	}
	if err := h.staticNeighbours(); err != nil {
		h.Stop()
		return nil, err
	}
	return h, nil
}

func nsReady(ns string) func() error {
	return func() error {
		mine, _ := os.Readlink("/proc/self/ns/net")
		theirs, err := os.Readlink(ns)
		if err != nil || theirs == mine {
			return fmt.Errorf("namespace not yet made (%v)", err)
		}
		return nil
	}
}

// staticNeighbours enters each side's MAC address as a permanent
// neighbour on the other side, for both families.
func (h *NetHost) staticNeighbours() error {
	mac := func(ns, ifname string) (string, error) {
		iface := ""
		err := inNetNS(ns, func() error {
			i, err := net.InterfaceByName(ifname)
			if err == nil {
				iface = i.HardwareAddr.String()
			}
			return err
		})
		return iface, err
	}
	hostMAC, err := mac(h.NetNS(), MailIfname)
	if err != nil {
		return err
	}
	clientMAC, err := mac(h.Client.NetNS, "client0")
	if err != nil {
		return err
	}
	for _, step := range [][]string{
		{h.NetNS(), ClientIPv4, clientMAC, MailIfname}, {h.NetNS(), ClientAlt4, clientMAC, MailIfname},
		{h.NetNS(), ClientIPv6, clientMAC, MailIfname}, {h.NetNS(), ClientAlt6, clientMAC, MailIfname},
		{h.Client.NetNS, MailIPv4, hostMAC, "client0"}, {h.Client.NetNS, MailIPv6, hostMAC, "client0"},
	} {
		argv := []string{"nsenter", "--net=" + step[0], "ip", "neigh", "replace", step[1], "lladdr", step[2], "dev", step[3], "nud", "permanent"}
		if out, err := Run(context.Background(), nil, argv...); err != nil {
			return fmt.Errorf("%s: %v %s", strings.Join(argv, " "), err, out)
		}
	}
	return nil
}

// NetNS is the host namespace's path.
func (h *NetHost) NetNS() string { return fmt.Sprintf("/proc/%d/ns/net", h.proc.PID()) }

// ProcNet is /proc/net as seen in the host namespace.
func (h *NetHost) ProcNet() string { return fmt.Sprintf("/proc/%d/net", h.proc.PID()) }

// StartNetHostServing is StartNetHost with listeners on ports (both
// families) in the host namespace, closed by Stop.
func StartNetHostServing(dir string, ports ...int) (*NetHost, error) {
	h, err := StartNetHost(dir)
	if err != nil {
		return nil, err
	}
	if h.stopServe, err = h.Serve(ports...); err != nil {
		h.Stop()
		return nil, err
	}
	return h, nil
}

// AttachServing attaches a client to firewalld's namespace and listens on
// ports there (see AttachClient and Serve); the client's Stop closes the
// listeners too.
func (f *Firewalld) AttachServing(ports ...int) (*Client, error) {
	c, err := f.AttachClient()
	if err != nil {
		return nil, err
	}
	if c.stopServe, err = f.Serve(ports...); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Stop ends both namespaces.
func (h *NetHost) Stop() {
	if h.stopServe != nil {
		h.stopServe()
	}
	if h.Client != nil {
		h.Client.Stop()
	}
	h.proc.Stop()
}

// Serve listens on the ports (both families) in the host namespace.
func (h *NetHost) Serve(ports ...int) (stop func(), err error) { return serveIn(h.NetNS(), ports) }

// Run runs a command (nft, iptables…) in the host namespace.
func (h *NetHost) Run(argv ...string) (string, error) {
	return Run(context.Background(), nil, append([]string{"nsenter", "--net=" + h.NetNS()}, argv...)...)
}

// Nft replaces the host namespace's ruleset with this one (nft -f syntax).
func (h *NetHost) Nft(ruleset string) error {
	path := filepath.Join(h.Dir, "ruleset.nft")
	if err := WriteFile(path, "flush ruleset\n"+ruleset, 0o600); err != nil {
		return err
	}
	_, err := h.Run("nft", "-f", path)
	return err
}

// Probe opens a TCP connection from the client namespace (source src) to
// dst:port and closes it: nil when the handshake completed (the SYN was
// let through to a listener), else why not (refused, unreachable, or a
// timeout when it was dropped).
func (c *Client) Probe(src, dst string, port int, timeout time.Duration) error {
	return inNetNS(c.NetNS, func() error {
		d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		conn, err := d.Dial("tcp", net.JoinHostPort(dst, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		return conn.Close()
	})
}
