package fwconfig

import (
	"fmt"
	"strings"
)

// String is Rich_Rule.__str__: values in double quotes, nothing escaped.
func (r *vRule) String() string {
	var b strings.Builder
	b.WriteString("rule")
	if r.priority != 0 {
		fmt.Fprintf(&b, ` priority="%d"`, r.priority)
	}
	if r.family != "" {
		fmt.Fprintf(&b, ` family="%s"`, r.family)
	}
	writeAddr(&b, "source", r.source)
	writeAddr(&b, "destination", r.destination)
	if e := r.element; e != nil {
		b.WriteString(" " + e.kind)
		switch e.kind {
		case "service", "icmp-block", "icmp-type":
			fmt.Fprintf(&b, ` name="%s"`, e.get("name"))
		case "port", "source-port":
			fmt.Fprintf(&b, ` port="%s" protocol="%s"`, e.get("port"), e.get("protocol"))
		case "protocol", "tcp-mss-clamp":
			if e.get("value") != "" || e.kind == "protocol" {
				fmt.Fprintf(&b, ` value="%s"`, e.get("value"))
			}
		case "forward-port":
			fmt.Fprintf(&b, ` port="%s" protocol="%s"`, e.get("port"), e.get("protocol"))
			writeOpt(&b, e, "to-port", "to-addr")
		}
	}
	if l := r.log; l != nil {
		b.WriteString(" " + l.kind)
		switch {
		case l.kind == "log":
			writeOpt(&b, l, "prefix", "level")
		case r.v2: // Rich_NFLog keeps group and queue-size as int(str(x), 0)
			writeInt(&b, l, "group")
			writeOpt(&b, l, "prefix")
			writeInt(&b, l, "queue-size")
		default:
			writeOpt(&b, l, "group", "prefix", "queue-size")
		}
		r.writeLimit(&b, l.limit)
	}
	if r.audit != nil {
		b.WriteString(" audit")
		r.writeLimit(&b, r.audit.limit)
	}
	if a := r.action; a != nil {
		b.WriteString(" " + a.kind)
		switch a.kind {
		case "reject":
			writeOpt(&b, a, "type")
		case "mark":
			b.WriteString(" set=" + a.get("set"))
		}
		r.writeLimit(&b, a.limit)
	}
	return b.String()
}

func writeAddr(b *strings.Builder, word string, a *vAddr) {
	if a == nil {
		return
	}
	b.WriteString(" " + word)
	if a.invert {
		b.WriteString(" NOT")
	}
	switch {
	case a.addr != "":
		fmt.Fprintf(b, ` address="%s"`, a.addr)
	case a.mac != "":
		fmt.Fprintf(b, ` mac="%s"`, a.mac)
	default:
		fmt.Fprintf(b, ` ipset="%s"`, a.ipset)
	}
}

func writeOpt(b *strings.Builder, p *vPart, keys ...string) {
	for _, k := range keys {
		if v := p.get(k); v != "" {
			fmt.Fprintf(b, ` %s="%s"`, k, v)
		}
	}
}

// writeLimit is Rich_Limit.__str__: 1.3 prints the value as written
// (units shortened), 2.x as the rate and unit it parsed, and the burst.
func (r *vRule) writeLimit(b *strings.Builder, l *vLimit) {
	switch {
	case l == nil:
	case r.v2:
		rate, unit, burst, _ := l.limit2()
		fmt.Fprintf(b, ` limit value="%d/%s"`, rate, unit)
		if burst != 0 {
			fmt.Fprintf(b, " burst=%d", burst)
		}
	default:
		fmt.Fprintf(b, ` limit value="%s"`, vNormLimit(l.value))
	}
}

// writeInt prints a number firewalld 2.x keeps as an int, when not zero.
func writeInt(b *strings.Builder, p *vPart, key string) {
	if n, ok := pyIntBase0(p.get(key)); ok && n != 0 {
		fmt.Fprintf(b, ` %s="%d"`, key, n)
	}
}
