package fwconfig

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailhost-checks/mailchecks/internal/netdb"
)

// NetDB is what glibc's getservbyname and getprotobyname consult on the
// mail host: /etc/services and /etc/protocols, read with the config files.
// firewalld accepts a port written as a service name ("imaps") and a
// protocol written as a name ("tcp", "esp") when these files know it.
type NetDB struct {
	services  netdb.Names // name or alias -> port, as getservbyname(name) answers
	protocols netdb.Names
}

// pyInt is Python's int(s) for base 10: surrounding whitespace, a sign,
// digits with single underscores between them. Values past int64 read as
// MaxInt64 (firewalld only compares them with small bounds).
func pyInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	var n int64
	for _, c := range s {
		switch {
		case c == '_':
			continue
		case !unicode.IsDigit(c):
			return 0, false
		case n > (math.MaxInt64-9)/10:
			n = math.MaxInt64
		default:
			n = n*10 + digitValue(c)
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// pyIntBase0 is Python's int(s, 0) (checkUINT16/32): 0x, 0o, 0b prefixes;
// a decimal may not have leading zeros.
func pyIntBase0(s string) (int64, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	body := strings.TrimLeft(t, "+-")
	for prefix, base := range map[string]int64{"0x": 16, "0o": 8, "0b": 2} {
		if strings.HasPrefix(body, prefix) {
			digits := strings.TrimPrefix(strings.TrimPrefix(body, prefix), "_")
			if digits == "" {
				return 0, false
			}
			var n int64
			for _, c := range strings.ReplaceAll(digits, "_", "") {
				d := int64(strings.IndexRune("0123456789abcdef", c))
				if d < 0 || d >= base {
					return 0, false
				}
				if n < math.MaxInt64/base {
					n = n*base + d
				}
			}
			if strings.HasPrefix(t, "-") {
				n = -n
			}
			return n, true
		}
	}
	if len(body) > 1 && body[0] == '0' && strings.Trim(body, "0_") != "" {
		return 0, false
	}
	return pyInt(s)
}

// digitValue is a decimal digit's value in any script (Python's int()
// reads "١٢" as 12): Unicode lays each script's digits out as runs of ten.
func digitValue(r rune) int64 {
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int64(r-start) % 10
}

// isPyDigits approximates Python's str.isdigit with the decimal digits of
// every script (the other characters isdigit accepts, such as '²', fail
// int() and so end as invalid ports either way).
func isPyDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// portID is functions.getPortID: a number or a service name; -1 unknown,
// -2 above 65535.
func (db NetDB) portID(port string) int64 {
	port = strings.TrimSpace(port)
	id, ok := pyInt(port)
	if !ok {
		n, known := db.services[port]
		if !known {
			return -1
		}
		id = n
	}
	if id > 65535 {
		return -2
	}
	return id
}

// portRangeError is io_object.check_port's verdict on a port or range
// (functions.getPortRange, including its search for "name-name" splits):
// "" when valid, else firewalld's INVALID_PORT message.
func (db NetDB) portRangeError(ports string) string {
	if isPyDigits(ports) {
		switch id := db.portID(ports); {
		case id == -2:
			return fmt.Sprintf("INVALID_PORT: port number in '%s' is too big", ports)
		case id < 0:
			return fmt.Sprintf("INVALID_PORT: '%s' is invalid port range", ports)
		}
		return ""
	}
	splits := strings.Split(ports, "-")
	if len(splits) == 2 && isPyDigits(splits[0]) && isPyDigits(splits[1]) {
		if db.portID(splits[0]) >= 0 && db.portID(splits[1]) >= 0 {
			return ""
		}
	}
	matched := 0
	for i := len(splits); i > 0; i-- {
		id1 := db.portID(strings.Join(splits[:i], "-"))
		port2 := strings.Join(splits[i:], "-")
		if port2 != "" {
			if id1 >= 0 && db.portID(port2) >= 0 {
				matched++
			}
		} else if id1 >= 0 {
			matched++
			if i == len(splits) {
				break
			}
		}
	}
	switch {
	case matched == 0:
		return fmt.Sprintf("INVALID_PORT: '%s' is invalid port range", ports)
	case matched > 1:
		return fmt.Sprintf("INVALID_PORT: port range '%s' is ambiguous", ports)
	}
	return ""
}

func (db NetDB) portOK(port string) bool { return db.portRangeError(port) == "" }

// tcpudpError is io_object.check_tcpudp.
func tcpudpError(protocol string) string {
	switch protocol {
	case "tcp", "udp", "sctp", "dccp":
		return ""
	}
	return fmt.Sprintf("INVALID_PROTOCOL: '%s' not from {'tcp'|'udp'|'sctp'|'dccp'}", protocol)
}

// protocolOK is functions.checkProtocol: 0-255 or a name getprotobyname knows.
func (db NetDB) protocolOK(protocol string) bool {
	if n, ok := pyInt(protocol); ok {
		return n >= 0 && n <= 255
	}
	_, known := db.protocols[protocol]
	return known
}

// checkIP and checkIP6 are glibc's inet_pton (as functions.checkIP/6 call
// it): no zones, no leading zeros in IPv4 octets; IPv6 may be in brackets.
func checkIP(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4() && a.Zone() == ""
}

func checkIP6(s string) bool {
	s = strings.Trim(s, "[]")
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && a.Zone() == "" && !strings.Contains(s, "%")
}

// checkIPnMask is functions.checkIPnMask; a dotted mask is any IPv4 address.
func checkIPnMask(s string) bool {
	addr, mask, has := strings.Cut(s, "/")
	if has && (addr == "" || mask == "") {
		return false
	}
	if !checkIP(addr) {
		return false
	}
	if has {
		if strings.Contains(mask, ".") {
			return checkIP(mask)
		}
		n, ok := pyInt(mask)
		return ok && n >= 0 && n <= 32
	}
	return true
}

func checkIP6nMask(s string) bool {
	addr, mask, has := strings.Cut(s, "/")
	if has && (addr == "" || mask == "") {
		return false
	}
	if !checkIP6(addr) {
		return false
	}
	if has {
		n, ok := pyInt(mask)
		return ok && n >= 0 && n <= 128
	}
	return true
}

// checkAddress is functions.check_address: a family and an address/mask.
func checkAddress(family, s string) bool {
	switch family {
	case "ipv4":
		return checkIPnMask(s)
	case "ipv6":
		return checkIP6nMask(s)
	}
	return false
}

func checkMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdefABCDEF", rune(c)) {
			return false
		}
	}
	return true
}

// checkInterface is functions.checkInterface.
func checkInterface(s string) bool {
	return s != "" && utf8.RuneCountInString(s) <= 16 && !strings.ContainsAny(s, " /!*")
}

// nameError is IO_Object.check_name: letters and digits (Python's
// str.isalnum, so any script) and the reader's extra characters.
func nameError(name, extra string) string {
	if name == "" {
		return "INVALID_NAME: name can't be empty"
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !strings.ContainsRune(extra, r) {
			return fmt.Sprintf("INVALID_NAME: '%c' is not allowed in '%s'", r, name)
		}
	}
	return ""
}

// zoneNameError adds Zone.check_name and Policy.check_name's rules: one
// '/' at most, not at either end, and a length limit (netfilter's chain
// names: 17 for zones, 18 for policies in firewalld 1.3).
func zoneNameError(kind, name string, max int) string {
	if e := nameError(name, "_-/"); e != "" {
		return e
	}
	switch {
	case strings.HasPrefix(name, "/"):
		return fmt.Sprintf("INVALID_NAME: %s '%s': name can't start with '/'", kind, name)
	case strings.HasSuffix(name, "/"):
		return fmt.Sprintf("INVALID_NAME: %s '%s': name can't end with '/'", kind, name)
	case strings.Count(name, "/") > 1:
		return fmt.Sprintf("INVALID_NAME: %s '%s': name has more than one '/'", kind, name)
	}
	base, _, _ := strings.Cut(name, "/")
	if n := utf8.RuneCountInString(base); n > max {
		return fmt.Sprintf("INVALID_NAME: %s '%s': name has %d chars, max is %d", kind, name, n, max)
	}
	return ""
}
