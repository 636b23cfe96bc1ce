package ruleset

import (
	"fmt"
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

// Zone is the part of a firewalld zone that decides what is reachable, and
// what binds traffic to it.
type Zone struct {
	Name         string
	Target       string // "default", "ACCEPT", "%%REJECT%%", "DROP"
	Services     []string
	Ports        []Port
	Protocols    []string
	SourcePorts  []Port
	ForwardPorts []ForwardPort
	RichRules    []RichRule
	Interfaces   []string // bound interfaces ("eth+" is a wildcard)
	Sources      []string // bound sources: address/CIDR, MAC, "ipset:NAME"
	// IngressPriority is firewalld 2.x's ingress-priority (0 by default):
	// zone dispatch tries zones by it first (chain.go zoneFor).
	IngressPriority int
	// Skipped are rules firewalld drops when it reads the zone (with the
	// reason), so they are neither judged nor drift.
	Skipped []string
}

// ForwardPort is a zone's <forward-port>.
type ForwardPort struct {
	Port   Port
	ToPort string
	ToAddr string
}

// String is firewall-cmd's spelling "port=993:proto=tcp:toport=10993:toaddr=".
func (f ForwardPort) String() string {
	return "port=" + f.Port.Port + ":proto=" + f.Port.Protocol + ":toport=" + f.ToPort + ":toaddr=" + f.ToAddr
}

// Service is a firewalld service definition with its includes resolved.
type Service struct {
	Name      string
	Path      string // the file it was read from; "" when firewalld said it
	Ports     []Port
	Protocols []string
	Includes  []string
	// Families, when not empty, are the only families the service opens
	// (a <destination ipv4=…/> limits it to that family).
	Families []string
}

// IPSet is a firewalld ipset as far as matching sources needs it.
type IPSet struct {
	Name    string
	Type    string // "hash:ip", "hash:net", "hash:mac", …
	Family  string // "ipv4" or "ipv6" (option family=inet6)
	Entries []string
	index   *ipsetIndex // Entries parsed, on first use (ipset_index.go)
}

// Ruleset is one view of firewalld (runtime or permanent): the default
// zone, every zone with its bindings, and the definitions rules name.
type Ruleset struct {
	Source      string // "D-Bus", "firewall-cmd", "/etc/firewalld"
	DefaultZone string
	Zones       map[string]*Zone
	// Services are the definitions of every service the view's zones,
	// policies and rich rules name, resolved while gathering (the runtime
	// view's over D-Bus or firewall-cmd, the permanent view's from files).
	Services map[string]Service
	// ServiceErrs are definitions that could not be read.
	ServiceErrs map[string]error
	IPSets      map[string]*IPSet // nil value: named but unreadable
	// Policies are the policies to HOST (nil value: unreadable).
	Policies map[string]*FwPolicy
	// ByIngressPriority: dispatch orders zones by ingress-priority first,
	// as firewalld 2.x does (Evaluate sets it from the version).
	ByIngressPriority bool
	chains            map[string]*indexedChain // filter chains by zone and requirement names
	indexes           map[string]*sourceIndex  // their source index, by zone
}

// Service returns the definition of a service, ok false when the view
// holds none: its definition could not be read (ServiceErrs), or the view
// never named it, which gathering makes the same case as a service
// firewalld does not know.
func (v *Ruleset) Service(name string) (Service, bool) {
	s, ok := v.Services[name]
	return s, ok
}

// DefinitionOf is the definition the view holds of a service, ok false
// when it holds none (not asked, or a nil view).
func (v *Ruleset) DefinitionOf(name string) (Service, bool) {
	if v == nil {
		return Service{}, false
	}
	s, ok := v.Services[name]
	return s, ok
}

// Definition is the view's definition of a service (a ServiceLookup over
// the files when firewall-cmd, which does not print definitions, gave the
// runtime view).
func (v *Ruleset) Definition(name string) (Service, error) {
	if v == nil {
		return Service{}, errNoDefinition(name)
	}
	if s, ok := v.Services[name]; ok {
		return s, nil
	}
	if err, ok := v.ServiceErrs[name]; ok {
		return Service{}, err
	}
	return Service{}, errNoDefinition(name)
}

type errNoDefinition string

func (e errNoDefinition) Error() string { return "service " + string(e) + ": no definition" }

// AppendMissing appends the ports of more that ports does not hold yet.
func AppendMissing(ports []Port, more ...Port) []Port {
	for _, p := range more {
		found := false
		for _, q := range ports {
			found = found || q == p
		}
		if !found {
			ports = append(ports, p)
		}
	}
	return ports
}

// ShallowCopy is a copy of v to derive another view from: it shares the
// zones map and definitions (replace what changes), not the chains built
// for v.
func (v *Ruleset) ShallowCopy() Ruleset {
	c := *v
	c.chains = nil
	return c
}
