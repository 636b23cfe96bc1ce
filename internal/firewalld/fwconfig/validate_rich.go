package fwconfig

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// vRule is a rich rule as firewall/core/rich.py's Rich_Rule holds it,
// built either from a zone file's <rule> (io/policy.py common_startElement)
// or from its own string form (Rich_Rule._import_from_string). Optional
// values are pointers where Python tells None from "".
type vRule struct {
	v2          bool   // built by firewalld 2.x's classes (prints as their __str__)
	family      string // "" = None
	priority    int64
	source      *vAddr
	destination *vAddr
	element     *vPart // service, port, protocol, …
	log         *vPart // log or nflog
	audit       *vPart
	action      *vPart // accept, reject, drop, mark
}

type vAddr struct {
	addr, mac, ipset string // "" = None (Rich_Source maps "" to None)
	invert           bool
}

// vPart is one element, log, audit or action: its kind, its attributes
// (absent keys are None), and its limit (nil = none).
type vPart struct {
	kind  string
	attrs map[string]string
	limit *vLimit
}

func (p *vPart) has(k string) bool { _, ok := p.attrs[k]; return ok }
func (p *vPart) get(k string) string {
	return p.attrs[k]
}

// vNormLimit is firewalld 1.3's Rich_Limit.__init__: "3/minute" becomes "3/m".
func vNormLimit(v string) string {
	if rate, unit, ok := strings.Cut(v, "/"); ok && !strings.Contains(unit, "/") {
		switch unit {
		case "second", "minute", "hour", "day":
			v = rate + "/" + unit[:1]
		}
	}
	return v
}

var rejectTypes = map[string][]string{
	"ipv4": {"icmp-host-prohibited", "host-prohib", "icmp-net-unreachable", "net-unreach", "icmp-host-unreachable", "host-unreach",
		"icmp-port-unreachable", "port-unreach", "icmp-proto-unreachable", "proto-unreach", "icmp-net-prohibited", "net-prohib",
		"tcp-reset", "tcp-rst", "icmp-admin-prohibited", "admin-prohib"},
	"ipv6": {"icmp6-adm-prohibited", "adm-prohibited", "icmp6-no-route", "no-route", "icmp6-addr-unreachable", "addr-unreach",
		"icmp6-port-unreachable", "port-unreach", "tcp-reset"},
}

var logLevels = []string{"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"}

// limitError is firewalld 1.3's Rich_Limit.check (its "too fast" test
// divides as floats and never fires).
func limitError(l *vLimit) string {
	if l == nil {
		return ""
	}
	v := vNormLimit(l.value)
	rate, unit, ok := strings.Cut(v, "/")
	if !ok || strings.Contains(unit, "/") {
		return "INVALID_LIMIT: " + v
	}
	n, ok := pyInt(rate)
	if !ok || n < 1 || !strings.Contains("smhd", unit) || len(unit) != 1 {
		return "INVALID_LIMIT: " + v
	}
	if n == 1 && unit == "d" {
		return "INVALID_LIMIT: " + v + " too slow"
	}
	return ""
}

// check is Rich_Rule.check: "" when firewalld keeps the rule, else the
// FirewallError the zone reader logs before it skips the rule.
func (r *vRule) check(db NetDB) string {
	e := r.element
	kind := ""
	if e != nil {
		kind = e.kind
	}
	if r.family != "" && r.family != "ipv4" && r.family != "ipv6" {
		return "INVALID_FAMILY: " + r.family
	}
	if r.family == "" && ((r.source != nil && r.source.addr != "") || r.destination != nil || kind == "forward-port") {
		return "MISSING_FAMILY"
	}
	if r.priority < -32768 || r.priority > 32767 {
		return "INVALID_PRIORITY: 'priority' attribute must be between -32768 and 32767."
	}
	if e == nil && (r.log == nil || r.priority == 0) {
		if r.action == nil {
			return "INVALID_RULE: no element, no action"
		}
		if r.source == nil && r.destination == nil && r.priority == 0 {
			return "INVALID_RULE: no element, no source, no destination"
		}
	}
	if kind != "icmp-block" && kind != "forward-port" && kind != "masquerade" && kind != "tcp-mss-clamp" &&
		r.log == nil && r.audit == nil && r.action == nil {
		return "INVALID_RULE: no action, no log, no audit"
	}
	if msg := r.addrError(db); msg != "" {
		return msg
	}
	if msg := r.elementError(db); msg != "" {
		return msg
	}
	if l := r.log; l != nil {
		if l.kind == "nflog" {
			if l.has("group") && l.get("group") != "" && !uint16OK(l.get("group")) {
				return "INVALID_NFLOG_GROUP: nflog 'group' must be an integer between 0 and 65535."
			}
			if l.has("queue-size") && l.get("queue-size") != "" && !uint16OK(l.get("queue-size")) {
				return "INVALID_NFLOG_QUEUE: nflog 'queue-size' must be an integer between 0 and 65535."
			}
		} else if lv := l.get("level"); lv != "" && !slices.Contains(logLevels, lv) {
			return "INVALID_LOG_LEVEL: " + lv
		}
		if utf8.RuneCountInString(l.get("prefix")) > 127 {
			return "INVALID_LOG_PREFIX: maximum accepted length of 'prefix' is 127."
		}
		if msg := limitError(l.limit); msg != "" {
			return msg
		}
	}
	if r.audit != nil {
		if r.action == nil || r.action.kind == "mark" {
			return "INVALID_AUDIT_TYPE"
		}
		if msg := limitError(r.audit.limit); msg != "" {
			return msg
		}
	}
	if a := r.action; a != nil {
		switch a.kind {
		case "reject":
			if t := a.get("type"); t != "" {
				if r.family == "" {
					return "INVALID_RULE: When using reject type you must specify also rule family."
				}
				if !slices.Contains(rejectTypes[r.family], t) {
					return "INVALID_RULE: Wrong reject type " + t + "."
				}
			}
		case "mark":
			if msg := markError(a); msg != "" {
				return msg
			}
		}
		if msg := limitError(a.limit); msg != "" {
			return msg
		}
	}
	return ""
}

func uint16OK(s string) bool { n, ok := pyIntBase0(s); return ok && n >= 0 && n <= 65535 }
func uint32OK(s string) bool { n, ok := pyIntBase0(s); return ok && n >= 0 && n <= 4294967295 }

func markError(a *vPart) string {
	if !a.has("set") {
		return "INVALID_MARK: no value set"
	}
	x := a.get("set")
	if v, m, ok := strings.Cut(x, "/"); ok {
		if strings.Contains(m, "/") || !uint32OK(v) || !uint32OK(m) {
			return "INVALID_MARK: " + x
		}
	} else if !uint32OK(x) {
		return "INVALID_MARK: " + x
	}
	return ""
}

func (r *vRule) addrError(db NetDB) string {
	if s := r.source; s != nil {
		switch {
		case s.addr != "":
			switch {
			case r.family == "":
				return "INVALID_FAMILY"
			case s.mac != "":
				return "INVALID_RULE: address and mac"
			case s.ipset != "":
				return "INVALID_RULE: address and ipset"
			case !checkAddress(r.family, s.addr):
				return "INVALID_ADDR: " + s.addr
			}
		case s.mac != "":
			if s.ipset != "" {
				return "INVALID_RULE: mac and ipset"
			}
			if !checkMAC(s.mac) {
				return "INVALID_MAC: " + s.mac
			}
		case s.ipset != "":
			if utf8.RuneCountInString(s.ipset) > 32 {
				return "INVALID_IPSET: " + s.ipset
			}
		default:
			return "INVALID_RULE: invalid source"
		}
	}
	if d := r.destination; d != nil {
		switch {
		case d.addr != "":
			switch {
			case r.family == "":
				return "INVALID_FAMILY"
			case d.ipset != "":
				return "INVALID_DESTINATION: address and ipset"
			case !checkAddress(r.family, d.addr):
				return "INVALID_ADDR: " + d.addr
			}
		case d.ipset != "":
			if utf8.RuneCountInString(d.ipset) > 32 {
				return "INVALID_IPSET: " + d.ipset
			}
		default:
			return "INVALID_RULE: invalid destination"
		}
	}
	return ""
}

func (r *vRule) elementError(db NetDB) string {
	e := r.element
	if e == nil {
		return ""
	}
	portProto := func() string {
		if !db.portOK(e.get("port")) {
			return "INVALID_PORT: " + e.get("port")
		}
		if tcpudpError(e.get("protocol")) != "" {
			return "INVALID_PROTOCOL: " + e.get("protocol")
		}
		return ""
	}
	switch e.kind {
	case "service":
		if e.get("name") == "" {
			return "INVALID_SERVICE: " + e.get("name")
		}
	case "port", "source-port":
		return portProto()
	case "protocol":
		if !db.protocolOK(e.get("value")) {
			return "INVALID_PROTOCOL: " + e.get("value")
		}
	case "masquerade":
		if r.action != nil {
			return "INVALID_RULE: masquerade and action"
		}
		if r.source != nil && r.source.mac != "" {
			return "INVALID_RULE: masquerade and mac source"
		}
	case "icmp-block", "icmp-type":
		if e.get("name") == "" {
			return "INVALID_ICMPTYPE: " + e.get("name")
		}
		if e.kind == "icmp-block" && r.action != nil {
			return "INVALID_RULE: icmp-block and action"
		}
	case "forward-port":
		if msg := portProto(); msg != "" {
			return msg
		}
		to, addr := e.get("to-port"), e.get("to-addr")
		switch {
		case to == "" && addr == "":
			return "INVALID_PORT: forward-port without to-port and to-addr"
		case to != "" && !db.portOK(to):
			return "INVALID_PORT: " + to
		case addr != "" && !(r.family == "ipv4" && checkIP(addr) || r.family == "ipv6" && checkIP6(addr)):
			return "INVALID_ADDR: " + addr
		case r.family == "":
			return "INVALID_FAMILY"
		case r.action != nil:
			return "INVALID_RULE: forward-port and action"
		}
	case "tcp-mss-clamp":
		if r.action != nil {
			return "INVALID_RULE: tcp-mss-clamp and action are mutually exclusive"
		}
		if v := e.get("value"); v != "" && !(isPyDigits(v) && mssOK(v) || v == "None" || v == "pmtu") {
			return "INVALID_RULE: " + v
		}
	}
	return ""
}

func mssOK(v string) bool { n, _ := pyInt(v); return n >= 536 }
