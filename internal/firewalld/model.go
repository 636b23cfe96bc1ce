package firewalld

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Port is a firewalld port entry: a single port or a range "8000-8010", and a
// protocol (tcp, udp, sctp, dccp).
type Port struct {
	Port     string
	Protocol string
}

// String is the firewall-cmd spelling, "993/tcp".
func (p Port) String() string { return p.Port + "/" + p.Protocol }

// Range returns the numeric bounds of the entry.
func (p Port) Range() (lo, hi int, err error) {
	a, b, isRange := strings.Cut(p.Port, "-")
	if lo, err = strconv.Atoi(a); err != nil || lo < 0 || lo > 65535 {
		return 0, 0, fmt.Errorf("bad port %q", p.Port)
	}
	hi = lo
	if isRange {
		if hi, err = strconv.Atoi(b); err != nil || hi < lo || hi > 65535 {
			return 0, 0, fmt.Errorf("bad port range %q", p.Port)
		}
	}
	return lo, hi, nil
}

// Covers reports whether this entry opens every port of q.
func (p Port) Covers(q Port) bool {
	if p.Protocol != q.Protocol {
		return false
	}
	lo, hi, err := p.Range()
	qlo, qhi, qerr := q.Range()
	return err == nil && qerr == nil && lo <= qlo && qhi <= hi
}

// ParsePort reads "4190/tcp" or "8000-8010/udp".
func ParsePort(s string) (Port, error) {
	port, proto, ok := strings.Cut(strings.TrimSpace(s), "/")
	p := Port{Port: port, Protocol: strings.ToLower(proto)}
	if !ok || proto == "" {
		return Port{}, fmt.Errorf("port %q: want PORT/PROTOCOL, e.g. 4190/tcp", s)
	}
	switch p.Protocol {
	case "tcp", "udp", "sctp", "dccp":
	default:
		return Port{}, fmt.Errorf("port %q: protocol must be tcp, udp, sctp or dccp", s)
	}
	if _, _, err := p.Range(); err != nil {
		return Port{}, fmt.Errorf("port %q: %v", s, err)
	}
	return p, nil
}

// Zone is the part of a firewalld zone that decides what is reachable.
type Zone struct {
	Name      string
	Target    string // "default", "ACCEPT", "%%REJECT%%", "DROP"
	Services  []string
	Ports     []Port
	RichRules []RichRule
}

// Service is a firewalld service definition with its includes resolved.
type Service struct {
	Name     string
	Ports    []Port
	Includes []string
}

// View is one side of the comparison: a zone plus the service definitions
// needed to know which ports its services open.
type View struct {
	Source   string // "D-Bus", "firewall-cmd", "/etc/firewalld/zones/public.xml"
	Zone     Zone
	Services map[string]Service // by name, filled eagerly or by resolve
	// resolve, when set, fetches a definition missing from Services on first
	// use: over D-Bus each one is a round trip to firewalld, and most checks
	// are decided by service name alone.
	resolve func(name string) (Service, error)
}

// Service returns the definition of a service the zone uses; an unresolvable
// one has no ports (it then opens nothing as far as coverage is concerned).
func (v *View) Service(name string) Service {
	if s, ok := v.Services[name]; ok {
		return s
	}
	var s Service
	if v.resolve != nil {
		s, _ = v.resolve(name)
	}
	if v.Services == nil {
		v.Services = map[string]Service{}
	}
	v.Services[name] = s
	return s
}

// sortedCopy returns a sorted copy of words, for stable output and diffs.
func sortedCopy(words []string) []string {
	out := append([]string(nil), words...)
	sort.Strings(out)
	return out
}
