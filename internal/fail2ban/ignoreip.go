package fail2ban

import (
	"fmt"
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
	EntryOpaque                  // cannot be judged from outside (an unknown object)
	EntryFile                    // file:PATH (fail2ban >= 1.1.1): the addresses and networks in a file
)

// opaquePrefix marks an entry a backend could not even represent as text.
const opaquePrefix = "opaque:"

// Entry is one parsed ignoreip entry.
type Entry struct {
	Raw    string
	Kind   EntryKind
	Prefix netip.Prefix // EntryAddr (full length) and EntryPrefix
	Name   string       // EntryName
	Path   string       // EntryFile: the file, as fail2ban reads the entry
	// WholeFamily: a printed "0.0.0.0" or "::" read as the /0 it was.
	WholeFamily bool
}

// ParseEntry reads one entry as the server prints it (`get JAIL ignoreip`:
// IPAddr.ntoa of each entry, ipdns.py) and as fail2ban then matches it
// (filter.py inIgnoreIPList, IPAddr.isInNet):
//
//   - An address inet_pton accepts is an address; "/N" (or a mask) makes a
//     network. An IPv4-mapped IPv6 entry stays IPv6 and never matches an
//     IPv4 address: IPAddr.__init turns "::ffff:a.b.c.d" into IPv4 only when
//     no mask was given, and then ntoa prints it as IPv4; so a printed
//     "::ffff:a.b.c.d" was written with a mask (/128) and is IPv6.
//   - ntoa drops a "/0" (it appends "/N" only for 0 < N < 32 resp. 128), so
//     "0.0.0.0" and "::" may be a whole family; ParseEntries decides that from
//     the entry's position. Alone, ParseEntry reads them as the one address.
//   - Anything else is a name: fail2ban keeps the raw text (without a mask:
//     "127.1/8" prints as "127.1" and matches as the name) and resolves it
//     with getaddrinfo when matching (DNSUtils.dnsToIp), which also accepts
//     the numeric forms of inet_aton ("127.1", "0x7f.0.0.1", "2130706433");
//     lookup() decodes those as glibc does.
//   - A scoped IPv6 address ("fe80::1%lo") fails inet_pton, so it is a name
//     too; getaddrinfo gives back the address without its scope, which then
//     matches.
//   - "file:PATH" (fail2ban >= 1.1.1) is a set of addresses and networks
//     read from a file on the mail host (ignorefile.go); older servers take
//     it for a host name.
func ParseEntry(raw string) Entry {
	s := strings.TrimSpace(raw)
	e := Entry{Raw: raw}
	if path, ok := fileEntryPath(s); ok {
		e.Kind, e.Path = EntryFile, path
		return e
	}
	if strings.HasPrefix(s, opaquePrefix) {
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

// ParseEntries reads a jail's printed list. getIgnoreIP (filter.py) returns
// the networks and names first, in the order they were added, then the
// single addresses (a set). A "/0" network prints as its bare address, so a
// "0.0.0.0" or "::" among the networks (before the first single address that
// follows the last network or name) is read as the whole family, as fail2ban
// matches it (isInNet with plen 0); one after that is a single address. In
// between, where both readings print alike, it is read as the network: a
// single 0.0.0.0 or :: protects nothing, so an operator who wrote it meant
// every address.
func ParseEntries(raws []string) []Entry {
	es := make([]Entry, len(raws))
	lastNet := -1
	for i, r := range raws {
		es[i] = ParseEntry(r)
		if k := es[i].Kind; k == EntryPrefix || k == EntryName || k == EntryOpaque || k == EntryFile {
			lastNet = i
		}
	}
	singles := len(es)
	for i := lastNet + 1; i < len(es); i++ {
		if es[i].Kind == EntryAddr && !es[i].Prefix.Addr().IsUnspecified() {
			singles = i
			break
		}
	}
	for i := 0; i < singles; i++ {
		if es[i].Kind == EntryAddr && es[i].Prefix.Addr().IsUnspecified() {
			es[i].Kind, es[i].Prefix, es[i].WholeFamily = EntryPrefix, netip.PrefixFrom(es[i].Prefix.Addr(), 0), true
		}
	}
	return es
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
	Addrs    []netip.Addr
	Err      error
	TimedOut bool // the lookup did not finish: what it resolves to is unknown
}

// Coverage is the verdict for one IP in one jail's ignoreip.
type Coverage struct {
	Covered    bool
	By         string   // the entry (or "ignoreself") that covers it
	Unresolved []string // DNS-name entries that did not resolve (fail2ban: no match)
	Unjudged   []string // entries or settings this check cannot evaluate
	TimedOut   []string // DNS-name entries whose lookup did not finish
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
	for _, e := range ParseEntries(j.IgnoreIP) {
		switch e.Kind {
		case EntryAddr, EntryPrefix:
			// netip: a prefix never contains an address of the other family,
			// as isInNet compares families first.
			if e.Prefix.Contains(ip) {
				by := e.Raw
				if e.WholeFamily {
					by += " (fail2ban's print of " + e.Prefix.String() + ": every " + family(ip) + " address)"
				}
				return Coverage{Covered: true, By: by}
			}
		case EntryName:
			r, ok := resolved[e.Name]
			if ok && r.TimedOut {
				c.TimedOut = append(c.TimedOut, e.Name)
				continue
			}
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
		case EntryFile:
			if by, ok := matchFile(ip, e, j.IgnoreFiles, &c); ok {
				return Coverage{Covered: true, By: by}
			}
		}
	}
	if strings.TrimSpace(j.IgnoreCommand) != "" {
		c.Unjudged = append(c.Unjudged, "ignorecommand "+j.IgnoreCommand)
	}
	return c
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
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

// matchFile applies a file: entry (filter.py inIgnoreIPList: `ip in
// FileIPAddrSet`, IPAddrSet.__contains__: an address equal to one entry or
// inside one network; a host name in the file is never resolved and never
// matches). What cannot be judged is noted in c.
func matchFile(ip netip.Addr, e Entry, files map[string]FileSet, c *Coverage) (string, bool) {
	fs, ok := files[e.Path]
	switch {
	case !ok:
		c.Unjudged = append(c.Unjudged, "ignoreip entry "+e.Raw+" (its file was not read)")
		return "", false
	case fs.NotAFile != "":
		c.Unresolved = append(c.Unresolved, e.Raw+" ("+fs.NotAFile+")")
		return "", false
	case fs.Err != nil:
		c.Unjudged = append(c.Unjudged, fmt.Sprintf("ignoreip entry %s (cannot read %s: %v)", e.Raw, e.Path, fs.Err))
		return "", false
	}
	for _, fe := range ParseEntries(fs.Entries) {
		if (fe.Kind == EntryAddr || fe.Kind == EntryPrefix) && fe.Prefix.Contains(ip) {
			return e.Raw + " (" + fe.Raw + " in " + e.Path + ")", true
		}
	}
	return "", false
}
