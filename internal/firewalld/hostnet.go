package firewalld

import (
	"encoding/hex"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
)

// procNetFiles are the kernel's views of the host's routes and addresses
// that say where mail clients arrive and which families the host serves.
func procNetFiles(procNet string) []string {
	return []string{
		filepath.Join(procNet, "route"),
		filepath.Join(procNet, "ipv6_route"),
		filepath.Join(procNet, "if_inet6"),
		filepath.Join(procNet, "fib_trie"),
	}
}

// defaultRouteIfaces4 lists the interfaces of IPv4 default routes in
// /proc/net/route (destination and mask 0, RTF_UP set).
func defaultRouteIfaces4(data []byte) []string {
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 8 {
			continue
		}
		flags, _ := strconv.ParseUint(f[3], 16, 32)
		if f[1] == "00000000" && f[7] == "00000000" && flags&0x1 != 0 {
			out = appendUnique(out, f[0])
		}
	}
	return out
}

// defaultRouteIfaces6 lists the interfaces of IPv6 default routes in
// /proc/net/ipv6_route (::/0, RTF_UP, not RTF_REJECT, not on lo).
func defaultRouteIfaces6(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		flags, _ := strconv.ParseUint(f[8], 16, 32)
		if f[0] == strings.Repeat("0", 32) && f[1] == "00" && flags&0x1 != 0 && flags&0x200 == 0 && f[9] != "lo" {
			out = appendUnique(out, f[9])
		}
	}
	return out
}

// globalAddrs6 are the global-scope addresses in /proc/net/if_inet6.
func globalAddrs6(data []byte) []netip.Addr {
	var out []netip.Addr
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[3] != "00" {
			continue
		}
		b, err := hex.DecodeString(f[0])
		if err != nil || len(b) != 16 {
			continue
		}
		out = append(out, netip.AddrFrom16([16]byte(b)))
	}
	return out
}

// localAddrs4 are the host's own IPv4 addresses in /proc/net/fib_trie
// (the "/32 host LOCAL" leaves), without loopback and link-local ones.
func localAddrs4(data []byte) []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	var last netip.Addr
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(t, "|-- "); ok {
			last, _ = netip.ParseAddr(rest)
			continue
		}
		if strings.HasPrefix(t, "/32 host LOCAL") && last.IsValid() && !last.IsLoopback() && !last.IsLinkLocalUnicast() && !seen[last] {
			seen[last] = true
			out = append(out, last)
		}
	}
	return out
}
