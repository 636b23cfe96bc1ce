package fwconfig

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// firewalld 2.x's core/rich.py makes every part of a rich rule a frozen
// dataclass that checks itself in __post_init__: a bad port, protocol,
// mark, log level, limit… raises as the zone reader builds the part
// (io/policy.py common_startElement), and Rich_Rule.check, which
// common_endElement no longer catches, is left with what concerns the
// whole rule. Either way the file is refused.

// vLimit is a <limit>: its value as written, and 2.x's burst (nil when
// absent; 1.3's readers do not know the attribute).
type vLimit struct {
	value string
	burst *string
}

// fwError is str(FirewallError(code, msg)): the code alone without a message.
func fwError(code, msg string) string {
	if msg == "" {
		return code
	}
	return code + ": " + msg
}

// limit2 is Rich_Limit.__post_init__ (2.x): the rate and unit it keeps
// ("3/minute" is 3/m, " 1 / m" is 1/m), the burst (0 when absent), or
// the INVALID_LIMIT it raises.
func (l *vLimit) limit2() (rate int64, unit string, burst int64, msg string) {
	splits := strings.Split(l.value, "/")
	if len(splits) != 2 {
		return 0, "", 0, fwError("INVALID_LIMIT", l.value)
	}
	rate, ok := pyInt(splits[0])
	unit = strings.TrimSpace(splits[1])
	switch unit {
	case "second", "minute", "hour", "day":
		unit = unit[:1]
	}
	mult := map[string]int64{"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
	switch {
	case !ok || rate < 1 || mult == 0:
		return 0, "", 0, fwError("INVALID_LIMIT", l.value)
	case 10000*mult/rate == 0:
		return 0, "", 0, fwError("INVALID_LIMIT", l.value+" too fast")
	case rate == 1 && unit == "d":
		return 0, "", 0, fwError("INVALID_LIMIT", l.value+" too slow")
	}
	if l.burst != nil { // _burst_parse
		b, ok := pyInt(*l.burst)
		if !ok || b < 0 || b > 10000000 {
			return 0, "", 0, fwError("INVALID_LIMIT", *l.burst)
		}
		burst = b
	}
	return rate, unit, burst, ""
}

// partError2 is the __post_init__ of the 2.x dataclass for an element,
// log or action part and its limit: "" when it builds.
func (p *vPart) partError2(db NetDB) string {
	if msg := p.kindError2(db); msg != "" {
		return msg
	}
	if p.limit != nil {
		_, _, _, msg := p.limit.limit2()
		return msg
	}
	return ""
}

func (p *vPart) kindError2(db NetDB) string {
	port := func(key string) string {
		if !db.portOK(p.get(key)) {
			return fwError("INVALID_PORT", p.get(key))
		}
		return ""
	}
	proto := func() string {
		if tcpudpError(p.get("protocol")) != "" {
			return fwError("INVALID_PROTOCOL", p.get("protocol"))
		}
		return ""
	}
	first := func(msgs ...string) string {
		for _, m := range msgs {
			if m != "" {
				return m
			}
		}
		return ""
	}
	switch p.kind {
	case "port", "source-port": // Rich_Port, Rich_SourcePort
		return first(port("port"), proto())
	case "protocol": // Rich_Protocol
		if !db.protocolOK(p.get("value")) {
			return fwError("INVALID_PROTOCOL", p.get("value"))
		}
	case "tcp-mss-clamp": // Rich_Tcp_Mss_Clamp: checkTcpMssClamp
		if v := p.get("value"); v != "" && !(isPyDigits(v) && mssOK(v) || v == "None" || v == "pmtu") {
			return fwError("INVALID_RULE", fmt.Sprintf(`tcp-mss-clamp value="%s"`, v))
		}
	case "icmp-block", "icmp-type": // Rich_IcmpBlock, Rich_IcmpType
		if p.get("name") == "" {
			return "INVALID_ICMPTYPE"
		}
	case "forward-port": // Rich_ForwardPort
		if msg := first(port("port"), proto()); msg != "" {
			return msg
		}
		if p.get("to-port") == "" && p.get("to-addr") == "" {
			return "INVALID_PORT"
		}
		if p.get("to-port") != "" {
			return port("to-port")
		}
	case "mark": // Rich_Mark
		return markError(p)
	case "log": // Rich_Log: an empty prefix is fine now
		if utf8.RuneCountInString(p.get("prefix")) > 127 {
			return "INVALID_LOG_PREFIX: maximum accepted length of 'prefix' is 127."
		}
		if lv := p.get("level"); lv != "" && !slices.Contains(logLevels, lv) {
			return fwError("INVALID_LOG_LEVEL", lv)
		}
	case "nflog": // Rich_NFLog: int(str(group), 0) also runs on ""
		if msg := nflogNumber(p, "group", "INVALID_NFLOG_GROUP: nflog 'group' must be an integer between 0 and 65535."); msg != "" {
			return msg
		}
		if utf8.RuneCountInString(p.get("prefix")) > 127 {
			return "INVALID_LOG_PREFIX: maximum accepted length of 'prefix' is 127."
		}
		return nflogNumber(p, "queue-size", "INVALID_NFLOG_QUEUE: nflog 'queue-size' must be an integer between 0 and 65535.")
	}
	return ""
}

func nflogNumber(p *vPart, key, invalid string) string {
	v, has := p.attrs[key]
	switch {
	case !has:
	case v == "":
		return "ValueError: invalid literal for int() with base 0: ''"
	case !uint16OK(v):
		return invalid
	}
	return ""
}

// sourceError2 is Rich_Source.__post_init__ (2.x) for a rule's <source>.
func (a *vAddr) sourceError2() string {
	switch {
	case a.addr == "" && a.mac == "" && a.ipset == "":
		return "INVALID_RULE: no address, mac and ipset"
	case a.addr != "" && a.mac != "":
		return "INVALID_RULE: address and mac"
	case a.addr != "" && a.ipset != "":
		return "INVALID_RULE: address and ipset"
	case a.addr != "":
	case a.mac != "" && a.ipset != "":
		return "INVALID_RULE: mac and ipset"
	case a.mac != "" && !checkMAC(a.mac):
		return fwError("INVALID_MAC", a.mac)
	case a.ipset != "" && utf8.RuneCountInString(a.ipset) > 32:
		return fwError("INVALID_IPSET", a.ipset)
	}
	return ""
}

// destinationError2 is Rich_Destination.__post_init__ (2.x).
func (a *vAddr) destinationError2() string {
	switch {
	case a.addr == "" && a.ipset == "":
		return "INVALID_DESTINATION: no address or ipset"
	case a.addr != "" && a.ipset != "":
		return "INVALID_DESTINATION: address and ipset"
	case a.addr == "" && utf8.RuneCountInString(a.ipset) > 32:
		return fwError("INVALID_IPSET", a.ipset)
	}
	return ""
}

// check2 is Rich_Rule.check of firewalld 2.x: what is left once the parts
// have built.
func (r *vRule) check2() string {
	kind := ""
	if r.element != nil {
		kind = r.element.kind
	}
	switch {
	case r.family != "" && r.family != "ipv4" && r.family != "ipv6":
		return fwError("INVALID_FAMILY", r.family)
	case r.family == "" && ((r.source != nil && r.source.addr != "") || r.destination != nil || kind == "forward-port"):
		return "MISSING_FAMILY"
	case r.priority < -32768 || r.priority > 32767:
		return "INVALID_PRIORITY: 'priority' attribute must be between -32768 and 32767."
	}
	if r.element == nil && (r.log == nil || r.priority == 0) {
		if r.action == nil {
			return "INVALID_RULE: no element, no action"
		}
		if r.source == nil && r.destination == nil && r.priority == 0 {
			return "INVALID_RULE: no element, no source, no destination"
		}
	}
	terminalless := kind == "icmp-block" || kind == "forward-port" || kind == "masquerade" || kind == "tcp-mss-clamp"
	if !terminalless && r.log == nil && r.audit == nil && r.action == nil {
		return "INVALID_RULE: no action, no log, no audit"
	}
	if s := r.source; s != nil && s.addr != "" && !checkAddress(r.family, s.addr) {
		return fwError("INVALID_ADDR", s.addr)
	}
	if d := r.destination; d != nil && d.addr != "" && !checkAddress(r.family, d.addr) {
		return fwError("INVALID_ADDR", d.addr)
	}
	switch kind {
	case "masquerade":
		if r.action != nil {
			return "INVALID_RULE: masquerade and action"
		}
		if r.source != nil && r.source.mac != "" {
			return "INVALID_RULE: masquerade and mac source"
		}
	case "icmp-block":
		if r.action != nil {
			return "INVALID_RULE: icmp-block and action"
		}
	case "forward-port":
		if addr := r.element.get("to-addr"); addr != "" && !(r.family == "ipv4" && checkIP(addr) || r.family == "ipv6" && checkIP6(addr)) {
			return fwError("INVALID_ADDR", addr)
		}
		if r.action != nil {
			return "INVALID_RULE: forward-port and action"
		}
	case "tcp-mss-clamp":
		if r.action != nil {
			return "INVALID_RULE: tcp-mss-clamp and " + r.action.kind + " are mutually exclusive"
		}
	}
	if r.audit != nil && (r.action == nil || r.action.kind == "mark") {
		return "INVALID_AUDIT_TYPE"
	}
	if a := r.action; a != nil && a.kind == "reject" && a.get("type") != "" {
		if r.family == "" {
			return "INVALID_RULE: When using reject type you must specify also rule family."
		}
		if !slices.Contains(rejectTypes[r.family], a.get("type")) {
			return "INVALID_RULE: Wrong reject type " + a.get("type") + "."
		}
	}
	return ""
}

// partsError2 runs every part's __post_init__, for a rule read back from
// its string form (Rich_Rule._import_from_string builds them one by one).
func (r *vRule) partsError2(db NetDB) string {
	if r.source != nil {
		if msg := r.source.sourceError2(); msg != "" {
			return msg
		}
	}
	if r.destination != nil {
		if msg := r.destination.destinationError2(); msg != "" {
			return msg
		}
	}
	for _, p := range []*vPart{r.element, r.log, r.audit, r.action} {
		if p != nil {
			if msg := p.partError2(db); msg != "" {
				return msg
			}
		}
	}
	return ""
}
