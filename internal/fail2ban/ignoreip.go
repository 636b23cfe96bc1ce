package fail2ban

import (
	"net/netip"
	"strconv"
	"strings"
)

// EntryKind is how fail2ban reads one ignoreip entry (filter.py addIgnoreIP,
// ipdns.py IPAddr).
type EntryKind int

const (
	EntryAddr   EntryKind = iota // one address: 203.0.113.7, ::1
	EntryPrefix                  // a network: 10.0.0.0/8, 2001:db8::/32, 10.0.0.0/255.0.0.0
	EntryName                    // not an address: fail2ban resolves it (A and AAAA) at match time
	EntryOpaque                  // cannot be judged from outside (file: set, unknown object)
)

// opaquePrefix marks an entry a backend could not even represent as text.
const opaquePrefix = "opaque:"

// Entry is one parsed ignoreip entry.
type Entry struct {
	Raw    string
	Kind   EntryKind
	Prefix netip.Prefix // EntryAddr (full length) and EntryPrefix
	Name   string       // EntryName
}

// ParseEntry reads an entry as fail2ban does: brackets around IPv6 are
// dropped, a "/" introduces a prefix length or a dotted/colon mask, an
// IPv4-mapped IPv6 address becomes IPv4, and anything that is not an
// address is a DNS name. "file:" (fail2ban ≥ 1.1 address sets) is opaque:
// the file lives on the server and is not something this check reads.
func ParseEntry(raw string) Entry {
	s := strings.TrimSpace(raw)
	e := Entry{Raw: raw}
	if strings.HasPrefix(s, "file:") || strings.HasPrefix(s, opaquePrefix) {
		e.Kind = EntryOpaque
		return e
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	addrText, mask, hasMask := strings.Cut(s, "/")
	addr, err := netip.ParseAddr(addrText)
	if err != nil || addr.Zone() != "" {
		if hasMask {
			// fail2ban would fail to parse "name/24" when loading the jail;
			// if it shows up anyway we cannot say what it means.
			e.Kind = EntryOpaque
			return e
		}
		e.Kind, e.Name = EntryName, s
		return e
	}
	if !hasMask {
		addr = addr.Unmap()
		e.Kind, e.Prefix = EntryAddr, netip.PrefixFrom(addr, addr.BitLen())
		return e
	}
	bits, ok := maskBits(mask, addr.BitLen())
	if !ok {
		e.Kind = EntryOpaque
		return e
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		e.Kind = EntryOpaque
		return e
	}
	e.Kind, e.Prefix = EntryPrefix, p
	if bits == addr.BitLen() {
		e.Kind = EntryAddr
	}
	return e
}

// maskBits reads "24" or a mask such as "255.255.255.0" / "ffff:ffff::".
func maskBits(mask string, maxBits int) (int, bool) {
	if n, err := strconv.Atoi(mask); err == nil {
		return n, n >= 0 && n <= maxBits
	}
	m, err := netip.ParseAddr(mask)
	if err != nil || m.BitLen() != maxBits {
		return 0, false
	}
	b := m.AsSlice()
	ones, seenZero := 0, false
	for _, by := range b {
		for i := 7; i >= 0; i-- {
			if by&(1<<i) != 0 {
				if seenZero {
					return 0, false // not contiguous
				}
				ones++
			} else {
				seenZero = true
			}
		}
	}
	return ones, true
}

// Resolution is what a DNS name resolved to when the check ran.
type Resolution struct {
	Addrs []netip.Addr
	Err   error
}

// Coverage is the verdict for one IP in one jail's ignoreip.
type Coverage struct {
	Covered    bool
	By         string   // the entry (or "ignoreself") that covers it
	Unresolved []string // DNS-name entries that did not resolve (fail2ban: no match)
	Unjudged   []string // entries or settings this check cannot evaluate
}

// Match applies a jail's ignore settings to ip. resolved holds the lookups
// of every EntryName; selfIPs the host's own addresses (ignoreself).
// ignorecommand is consulted by fail2ban only when nothing else matched, so
// it only makes the verdict unknowable when the IP is not covered otherwise.
func Match(ip netip.Addr, j JailState, resolved map[string]Resolution, selfIPs []netip.Addr) Coverage {
	ip = ip.Unmap()
	var c Coverage
	if j.IgnoreSelf {
		for _, s := range selfIPs {
			if s.Unmap() == ip {
				return Coverage{Covered: true, By: "ignoreself (an address of this host)"}
			}
		}
	}
	for _, raw := range j.IgnoreIP {
		e := ParseEntry(raw)
		switch e.Kind {
		case EntryAddr, EntryPrefix:
			if e.Prefix.Contains(ip) {
				return Coverage{Covered: true, By: e.Raw}
			}
		case EntryName:
			r, ok := resolved[e.Name]
			if !ok || r.Err != nil || len(r.Addrs) == 0 {
				c.Unresolved = append(c.Unresolved, e.Name)
				continue
			}
			for _, a := range r.Addrs {
				if a.Unmap() == ip {
					return Coverage{Covered: true, By: e.Raw + " (resolves to " + ip.String() + ")"}
				}
			}
		case EntryOpaque:
			c.Unjudged = append(c.Unjudged, "ignoreip entry "+e.Raw)
		}
	}
	if strings.TrimSpace(j.IgnoreCommand) != "" {
		c.Unjudged = append(c.Unjudged, "ignorecommand "+j.IgnoreCommand)
	}
	return c
}

// Names lists the DNS-name entries of the jails, for the resolver.
func Names(jails []JailState) []string {
	seen := map[string]bool{}
	var out []string
	for _, j := range jails {
		for _, raw := range j.IgnoreIP {
			if e := ParseEntry(raw); e.Kind == EntryName && !seen[e.Name] {
				seen[e.Name] = true
				out = append(out, e.Name)
			}
		}
	}
	return out
}
