package fwconfig

import (
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
)

// portRange is functions.getPortRange: a port, a range or a service name
// (or a range of names, "imap-imaps") as firewalld turns it into numbers
// when it builds its nftables rules (portStr). ok is false where firewalld
// finds no single answer (unknown name, ambiguous split).
func (db NetDB) portRange(ports string) (lo, hi int64, ok bool) {
	order := func(a, b int64) (int64, int64, bool) {
		if a > b {
			a, b = b, a
		}
		return a, b, true
	}
	if isPyDigits(ports) {
		id := db.portID(ports)
		return id, id, id >= 0
	}
	splits := strings.Split(ports, "-")
	if len(splits) == 2 && isPyDigits(splits[0]) && isPyDigits(splits[1]) {
		a, b := db.portID(splits[0]), db.portID(splits[1])
		if a >= 0 && b >= 0 {
			return order(a, b)
		}
	}
	var matched [][2]int64
	for i := len(splits); i > 0; i-- {
		a := db.portID(strings.Join(splits[:i], "-"))
		rest := strings.Join(splits[i:], "-")
		if rest != "" {
			if b := db.portID(rest); a >= 0 && b >= 0 {
				x, y, _ := order(a, b)
				matched = append(matched, [2]int64{x, y})
			}
		} else if a >= 0 {
			matched = append(matched, [2]int64{a, a})
			if i == len(splits) {
				break
			}
		}
	}
	if len(matched) != 1 {
		return 0, 0, false
	}
	return matched[0][0], matched[0][1], true
}

// numericPort rewrites a port written as a name ("imaps", as firewall-cmd
// stores it) to the numbers firewalld's rule opens ("993"); a port already
// numeric, or one firewalld cannot resolve, is left as written.
func (db NetDB) numericPort(p ruleset.Port) ruleset.Port {
	if _, _, err := p.Range(); err == nil || p.Port == "" {
		return p
	}
	lo, hi, ok := db.portRange(p.Port)
	if !ok {
		return p
	}
	p.Port = strconv.FormatInt(lo, 10)
	if hi != lo {
		p.Port += "-" + strconv.FormatInt(hi, 10)
	}
	return p
}

// ResolvePortNames resolves, in place, every port of a view that is
// written as a name: zone and policy ports, source ports, forward ports,
// rich rules' ports (their Text stays as firewalld prints it, so drift
// and fix commands keep the stored spelling) and service definitions.
func ResolvePortNames(rs *ruleset.Ruleset, db NetDB) {
	if rs == nil {
		return
	}
	sets := make([]*ruleset.Zone, 0, len(rs.Zones)+len(rs.Policies))
	for _, z := range rs.Zones {
		sets = append(sets, z)
	}
	for _, p := range rs.Policies {
		if p != nil && p.Set != nil {
			sets = append(sets, p.Set)
		}
	}
	numeric := func(ports []ruleset.Port) {
		for i := range ports {
			ports[i] = db.numericPort(ports[i])
		}
	}
	for _, z := range sets {
		numeric(z.Ports)
		numeric(z.SourcePorts)
		for i := range z.ForwardPorts {
			z.ForwardPorts[i].Port = db.numericPort(z.ForwardPorts[i].Port)
		}
		for i := range z.RichRules {
			z.RichRules[i].Port = db.numericPort(z.RichRules[i].Port)
		}
	}
	for name, s := range rs.Services {
		s.Ports = append([]ruleset.Port(nil), s.Ports...)
		numeric(s.Ports)
		rs.Services[name] = s
	}
}
