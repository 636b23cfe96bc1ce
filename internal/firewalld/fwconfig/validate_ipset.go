package fwconfig

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// saxCharacters is what IO_Object_ContentHandler holds in _element when an
// element ends: the character data since the last start tag anywhere
// inside it (each startElement empties it; text around a comment is one
// run), newlines turned into spaces (characters()).
func saxCharacters(el *etree.Element) string {
	var runs []string // from el inwards; document order is the reverse
	for e := el; e != nil; {
		var next *etree.Element
		var run strings.Builder
		for _, tok := range e.Child {
			switch t := tok.(type) {
			case *etree.Element:
				next = t
				run.Reset()
			case *etree.CharData:
				run.WriteString(t.Data)
			}
		}
		runs = append(runs, run.String())
		e = next
	}
	var b strings.Builder
	for i := len(runs) - 1; i >= 0; i-- {
		b.WriteString(runs[i])
	}
	return strings.ReplaceAll(b.String(), "\n", " ")
}

// checkIPSetSizes is firewalld 2.x's IPSet._check_config for maxelem: an
// ipset whose entries (those ipset_reader keeps) outnumber its maxelem
// option is refused, in full_check_config's first round (ipsets).
func (c *Tree) checkIPSetSizes() {
	for _, name := range c.Names["ipsets"] {
		set := c.ipsets[name]
		if set == nil {
			continue
		}
		v, ok := set.options["maxelem"]
		if !ok {
			continue
		}
		max, _ := pyInt(v) // the reader has checked it
		if n := len(keptEntries(set, c.DB)); int64(n) > max {
			c.refuse(set.path, fmt.Sprintf("INVALID_IPSET: the number of ipset entries exceeds the maximum set size of %d", max))
		}
	}
}

// keptEntries is the end of ipset_reader: with a timeout every entry is
// dropped; a repeated entry and one check_entry refuses are dropped too.
func keptEntries(set *vIPSet, db NetDB) []string {
	if t, ok := set.options["timeout"]; ok && t != "0" {
		return nil
	}
	var kept []string
	seen := map[string]bool{}
	for _, e := range set.entries {
		if seen[e] || !ipsetEntryOK(e, set.options, set.ipsetType, db) {
			continue
		}
		seen[e] = true
		kept = append(kept, e)
	}
	return kept
}

// ipsetEntryOK is IPSet.check_entry (io/ipset.py).
func ipsetEntryOK(entry string, options map[string]string, ipsetType string, db NetDB) bool {
	family := "ipv4"
	if options["family"] == "inet6" {
		family = "ipv6"
	}
	if !strings.HasPrefix(ipsetType, "hash:") {
		return false
	}
	flags := strings.Split(strings.TrimPrefix(ipsetType, "hash:"), ",")
	items := strings.Split(entry, ",")
	if len(flags) != len(items) {
		return false
	}
	addr := func(s string) bool { return family == "ipv4" && checkIP(s) || family == "ipv6" && checkIP6(s) }
	addrMask := func(s string) bool {
		return family == "ipv4" && checkIPnMask(s) || family == "ipv6" && checkIP6nMask(s)
	}
	for i, flag := range flags {
		item := items[i]
		ok := false
		switch flag {
		case "ip":
			switch {
			case strings.Contains(item, "-") && family == "ipv4":
				splits := strings.Split(item, "-")
				ok = i <= 1 && len(splits) == 2 && checkIP(splits[0]) && checkIP(splits[1])
			case family == "ipv4" && i == 0:
				ok = item != "0.0.0.0" && checkIPnMask(item)
			case family == "ipv4":
				ok = item != "0.0.0.0" && checkIP(item)
			default:
				ok = checkIP6(item)
			}
		case "net":
			if strings.Contains(item, "-") {
				splits := strings.Split(item, "-")
				ok = len(splits) == 2 && addr(splits[0]) && addrMask(splits[1])
			} else {
				ok = addrMask(item) && (!strings.HasSuffix(item, "/0") || family == "ipv6" && i == 0 && ipsetType == "hash:net,iface")
			}
		case "mac":
			ok = checkMAC(item) && item != "00:00:00:00:00:00"
		case "port":
			ok = ipsetPortOK(item, family, db)
		case "mark":
			var n int64
			if hex, isHex := strings.CutPrefix(item, "0x"); isHex {
				n, ok = pyIntBase(hex, 16)
			} else {
				n, ok = pyInt(item)
			}
			ok = ok && n >= 0 && n <= 4294967295
		case "iface":
			ok = checkInterface(item) && len([]rune(item)) <= 15
		}
		if !ok {
			return false
		}
	}
	return true
}

// ipsetPortOK is check_entry's "port" item: PORT or PROTO:PORT, where an
// ICMP item names a type (core/icmp.py).
func ipsetPortOK(item, family string, db NetDB) bool {
	proto, port, has := strings.Cut(item, ":")
	if !has {
		return db.portOK(item)
	}
	if strings.Contains(port, ":") {
		return false
	}
	switch proto {
	case "icmp":
		return family == "ipv4" && (icmpTypes[port] != "" || icmpCodeKnown(icmpTypes, port))
	case "icmpv6", "ipv6-icmp":
		return family == "ipv6" && (icmpv6Types[port] != "" || icmpCodeKnown(icmpv6Types, port))
	case "tcp", "sctp", "udp", "udplite":
	default:
		if !db.protocolOK(proto) {
			return false
		}
	}
	return db.portOK(port)
}

// pyIntBase is Python's int(s, base) for base 16 (check_entry's marks).
func pyIntBase(s string, base int64) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	var n int64
	for _, c := range strings.ToLower(s) {
		d := int64(strings.IndexRune("0123456789abcdef", c))
		if d < 0 || d >= base {
			return 0, false
		}
		if n < 1<<40 {
			n = n*base + d
		}
	}
	return n, true
}

func icmpCodeKnown(table map[string]string, code string) bool {
	for _, c := range table {
		if c == code {
			return true
		}
	}
	return false
}

// icmpTypes and icmpv6Types are core/icmp.py's ICMP_TYPES and ICMPV6_TYPES.
var icmpTypes = map[string]string{
	"echo-reply": "0/0", "pong": "0/0", "network-unreachable": "3/0", "host-unreachable": "3/1",
	"protocol-unreachable": "3/2", "port-unreachable": "3/3", "fragmentation-needed": "3/4",
	"source-route-failed": "3/5", "network-unknown": "3/6", "host-unknown": "3/7", "network-prohibited": "3/9",
	"host-prohibited": "3/10", "TOS-network-unreachable": "3/11", "TOS-host-unreachable": "3/12",
	"communication-prohibited": "3/13", "host-precedence-violation": "3/14", "precedence-cutoff": "3/15",
	"source-quench": "4/0", "network-redirect": "5/0", "host-redirect": "5/1", "TOS-network-redirect": "5/2",
	"TOS-host-redirect": "5/3", "echo-request": "8/0", "ping": "8/0", "router-advertisement": "9/0",
	"router-solicitation": "10/0", "ttl-zero-during-transit": "11/0", "ttl-zero-during-reassembly": "11/1",
	"ip-header-bad": "12/0", "required-option-missing": "12/1", "timestamp-request": "13/0",
	"timestamp-reply": "14/0", "address-mask-request": "17/0", "address-mask-reply": "18/0",
}

var icmpv6Types = map[string]string{
	"no-route": "1/0", "communication-prohibited": "1/1", "address-unreachable": "1/3", "port-unreachable": "1/4",
	"packet-too-big": "2/0", "ttl-zero-during-transit": "3/0", "ttl-zero-during-reassembly": "3/1",
	"bad-header": "4/0", "unknown-header-type": "4/1", "unknown-option": "4/2", "echo-request": "128/0",
	"ping": "128/0", "echo-reply": "129/0", "pong": "129/0", "router-solicitation": "133/0",
	"router-advertisement": "134/0", "neighbour-solicitation": "135/0", "neigbour-solicitation": "135/0",
	"neighbour-advertisement": "136/0", "neigbour-advertisement": "136/0", "redirect": "137/0",
}
