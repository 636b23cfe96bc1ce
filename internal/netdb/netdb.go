// Package netdb reads /etc/services and /etc/protocols as glibc's "files"
// lookups do, from bytes the caller read on the mail host (over SSH, the
// mail host's files, not the monitoring host's). Both firewall checks
// resolve names with it: firewalld's port and protocol names, fail2ban's
// banaction `port` values.
package netdb

import (
	"fmt"
	"strconv"
	"strings"
)

// Paths of the two files, as glibc's files lookups read them.
const (
	ServicesPath  = "/etc/services"
	ProtocolsPath = "/etc/protocols"
)

// Names maps each name and alias of a file to its number.
type Names map[string]int64

// Parse reads /etc/services or /etc/protocols: name, number (with /proto
// in services), aliases. With proto "" every line counts, as
// getservbyname(name, NULL) and getprotobyname(name) answer; with "tcp"
// only the lines of that protocol, as getservbyname(name, "tcp"). The
// first line naming a name wins, as glibc's files lookup does.
func Parse(data []byte, proto string) Names {
	names := Names{}
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		number, lineProto, _ := strings.Cut(f[1], "/")
		n, err := strconv.ParseInt(number, 10, 64)
		if err != nil || proto != "" && lineProto != proto {
			continue
		}
		for _, name := range append([]string{f[0]}, f[2:]...) {
			if _, seen := names[name]; !seen {
				names[name] = n
			}
		}
	}
	return names
}

// Port is the port a service name stands for, for the protocol the names
// were parsed for.
func (n Names) Port(name string) (uint16, error) {
	p, ok := n[name]
	if !ok || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("unknown service %q", name)
	}
	return uint16(p), nil
}
