package fail2ban

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// ignoreSelfCoversInterfaces reports whether the server's ignoreself covers
// every address of its network interfaces. fail2ban 1.1 (ipdns.py
// DNSUtils.getSelfIPs) starts from getNetIntrfIPs (getifaddrs: every
// interface's IPv4 and IPv6 address) and adds the addresses of its own
// names; 1.0 (the same function) resolves only "localhost",
// socket.gethostname() and getfqdn(). An unknown version gets 1.0's rule:
// assuming 1.1's could call an address whitelisted that 1.0 bans (a false
// OK), where 1.0's rule at worst warns about one that 1.1 ignores.
func ignoreSelfCoversInterfaces(version string) bool {
	return versionAtLeast(version, 1, 1, 0)
}

// versionAtLeast compares a fail2ban version ("1.0.2", "1.1.0", "1.1.1.dev1")
// with major.minor.patch; "" (not known) is never at least anything.
func versionAtLeast(version string, major, minor, patch int) bool {
	var v [3]int
	n, _ := fmt.Sscanf(strings.ReplaceAll(version, ".", " "), "%d %d %d", &v[0], &v[1], &v[2])
	if n == 0 {
		return false
	}
	return slices.Compare(v[:], []int{major, minor, patch}) >= 0
}

// interfaceAddrs lists the mail host's interface addresses as getifaddrs
// gives them to fail2ban 1.1 (without scope or mask). Locally from the
// kernel; over SSH from `ip -o addr show` on the mail host.
func interfaceAddrs(ctx context.Context, host remote.Host) ([]netip.Addr, error) {
	if !host.Remote() {
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return nil, err
		}
		var out []netip.Addr
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				out = append(out, p.Addr().Unmap().WithZone(""))
			}
		}
		return out, nil
	}
	res, err := host.Run(ctx, []string{"ip", "-o", "addr", "show"})
	if err != nil {
		return nil, err
	}
	if res.ExitCode != 0 {
		return nil, fmt.Errorf("ip -o addr show: exit %d: %s", res.ExitCode, lastLine(string(res.Stderr)))
	}
	return parseIPAddrShow(string(res.Stdout)), nil
}

// parseIPAddrShow reads `ip -o addr show` lines:
// "2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\ ...".
func parseIPAddrShow(out string) []netip.Addr {
	var addrs []netip.Addr
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		for i := 0; i+1 < len(f); i++ {
			if f[i] != "inet" && f[i] != "inet6" {
				continue
			}
			if p, err := netip.ParsePrefix(f[i+1]); err == nil {
				addrs = append(addrs, p.Addr().Unmap().WithZone(""))
			}
			break
		}
	}
	return addrs
}
