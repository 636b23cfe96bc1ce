package fwconfig

import (
	"fmt"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// vService is what service_reader keeps that the configuration check reads.
type vService struct {
	name, path string
	includes   []string
	helpers    []string // <helper name> and <module name> (short form): both are looked up as helpers when applied
	// What the service opens, for the ruleset the verdict is judged on.
	ports     [][2]string // <port port protocol>, port not empty
	protocols []string    // <protocol value> and <port port="" protocol>
	families  []string    // a <destination ipv4=…/ipv6=…> limits it to those
}

// readService is service_ContentHandler.startElement (io/service.py); the
// checks Service._check_config repeats later are all made here already,
// except that includes exist (see crossCheck).
func readService(root *etree.Element, db NetDB, s *vService) string {
	start := func(el *etree.Element) string {
		if msg := serviceSpec.check(el); msg != "" {
			return msg
		}
		need := func(k string) (string, string) {
			v, ok := attr(el, k)
			if !ok {
				return "", keyError(el, k)
			}
			return v, ""
		}
		switch el.Tag {
		case "port", "source-port":
			port, msg := need("port")
			if msg != "" {
				return msg
			}
			if port == "" && el.Tag == "port" { // <port port="" protocol="esp"/> names a protocol
				proto, msg := need("protocol")
				if msg == "" && !db.protocolOK(proto) {
					msg = "INVALID_PROTOCOL: " + proto
				}
				s.protocols = appendNew(s.protocols, proto)
				return msg
			}
			if msg := db.portRangeError(port); msg != "" {
				return msg
			}
			proto, msg := need("protocol")
			if msg == "" {
				msg = tcpudpError(proto)
			}
			if entry := [2]string{port, proto}; el.Tag == "port" && !hasPair(s.ports, entry) {
				s.ports = append(s.ports, entry)
			}
			return msg
		case "protocol":
			v, msg := need("value")
			if msg == "" && !db.protocolOK(v) {
				msg = "INVALID_PROTOCOL: " + v
			}
			s.protocols = appendNew(s.protocols, v)
			return msg
		case "destination":
			for _, fam := range []string{"ipv4", "ipv6"} {
				v, ok := attr(el, fam)
				if ok && !checkAddress(fam, v) {
					return fmt.Sprintf("INVALID_ADDR: '%s' is not valid %s address", v, fam)
				}
				if ok {
					s.families = appendNew(s.families, fam)
				}
			}
		case "module", "helper":
			v, msg := need("name")
			if el.Tag == "module" {
				v = conntrackShort(v)
				if msg == "" && len(v) < 2 {
					msg = "INVALID_MODULE: " + v
				}
			}
			s.helpers = appendNew(s.helpers, v)
			return msg
		case "include":
			v, msg := need("service")
			s.includes = appendNew(s.includes, v)
			return msg
		}
		return ""
	}
	return saxWalk(root, start, func(*etree.Element) string { return "" })
}

func hasPair(list [][2]string, p [2]string) bool {
	for _, q := range list {
		if q == p {
			return true
		}
	}
	return false
}

// conntrackShort is how the service reader shortens a module name.
func conntrackShort(m string) string {
	if strings.HasPrefix(m, "nf_conntrack_") {
		m = strings.ReplaceAll(strings.TrimPrefix(m, "nf_conntrack_"), "_", "-")
	}
	return m
}

// sourceIPSetTypes are core/base.py's SOURCE_IPSET_TYPES: the ipsets a
// zone source or a rule's source may name.
var sourceIPSetTypes = []string{"hash:ip", "hash:ip,port", "hash:ip,mark", "hash:net", "hash:net,port", "hash:net,iface", "hash:mac"}

var ipsetTypes = []string{"hash:ip", "hash:ip,port", "hash:ip,port,ip", "hash:ip,port,net", "hash:ip,mark",
	"hash:net", "hash:net,net", "hash:net,port", "hash:net,port,net", "hash:net,iface", "hash:mac"}

// vIPSet is what ipset_reader keeps that the configuration check reads.
type vIPSet struct {
	path      string
	ipsetType string
	options   map[string]string // the first value of each option wins
	entries   []string          // <entry> texts, as the reader collects them
}

// readIPSet is ipset_ContentHandler (io/ipset.py). A bad <entry> is not a
// refusal: ipset_reader logs it and drops the entry (see ipsetEntries).
func readIPSet(root *etree.Element, set *vIPSet) string {
	start := func(el *etree.Element) string {
		if msg := ipsetSpec.check(el); msg != "" {
			return msg
		}
		switch el.Tag {
		case "ipset":
			if t, ok := attr(el, "type"); ok {
				if !slices.Contains(ipsetTypes, t) {
					return "INVALID_TYPE: " + t
				}
				set.ipsetType = t
			}
		case "option":
			name, _ := attr(el, "name")
			value, _ := attr(el, "value")
			switch {
			case !slices.Contains([]string{"family", "timeout", "hashsize", "maxelem"}, name):
				return fmt.Sprintf("INVALID_OPTION: Unknown option '%s'", name)
			case set.ipsetType == "hash:mac" && name == "family":
				return fmt.Sprintf("INVALID_OPTION: Unsupported option '%s' for type '%s'", name, set.ipsetType)
			case value == "":
				return fmt.Sprintf("INVALID_OPTION: Missing mandatory value of option '%s'", name)
			case name == "family" && value != "inet" && value != "inet6":
				return "INVALID_FAMILY: " + value
			case name != "family":
				n, ok := pyInt(value)
				if !ok {
					return fmt.Sprintf("INVALID_VALUE: Option '%s': Value '%s' is not an integer", name, value)
				}
				if n < 0 {
					return fmt.Sprintf("INVALID_VALUE: Option '%s': Value '%s' is negative", name, value)
				}
			}
			if _, set2 := set.options[name]; !set2 {
				set.options[name] = value
			}
		}
		return ""
	}
	end := func(el *etree.Element) string {
		if el.Tag == "entry" {
			set.entries = append(set.entries, saxCharacters(el))
		}
		return ""
	}
	return saxWalk(root, start, end)
}

// vICMPType is what the configuration check needs of an icmptype: the
// families it exists in (a rich rule's family must be one of them).
type vICMPType struct {
	destinations []string
}

func readICMPType(root *etree.Element, t *vICMPType) string {
	start := func(el *etree.Element) string {
		if msg := icmptypeSpec.check(el); msg != "" {
			return msg
		}
		if el.Tag == "destination" {
			for _, fam := range []string{"ipv4", "ipv6"} {
				if v, ok := attr(el, fam); ok && isYes(v) {
					t.destinations = append(t.destinations, fam)
				}
			}
		}
		return ""
	}
	return saxWalk(root, start, func(*etree.Element) string { return "" })
}

// readHelper is helper_ContentHandler.startElement (io/helper.py).
func readHelper(root *etree.Element, db NetDB) string {
	start := func(el *etree.Element) string {
		if msg := helperSpec.check(el); msg != "" {
			return msg
		}
		switch el.Tag {
		case "helper":
			if f, ok := attr(el, "family"); ok && f != "ipv4" && f != "ipv6" {
				return fmt.Sprintf("INVALID_IPV: '%s' not in '['ipv4', 'ipv6']'", f)
			}
			if m, ok := attr(el, "module"); ok {
				if !strings.HasPrefix(m, "nf_conntrack_") {
					return fmt.Sprintf("INVALID_MODULE: '%s' does not start with 'nf_conntrack_'", m)
				}
				if strings.ReplaceAll(m, "nf_conntrack_", "") == "" {
					return fmt.Sprintf("INVALID_MODULE: Module name '%s' too short", m)
				}
			}
		case "port":
			port, ok := attr(el, "port")
			if !ok {
				return keyError(el, "port")
			}
			if msg := db.portRangeError(port); msg != "" {
				return msg
			}
			proto, ok := attr(el, "protocol")
			if !ok {
				return keyError(el, "protocol")
			}
			return tcpudpError(proto)
		}
		return ""
	}
	return saxWalk(root, start, func(*etree.Element) string { return "" })
}
