package fwconfig

import (
	"fmt"
	"math/rand"
	"strings"
)

// The generator of TestValidatePermanentAgreesOnGeneratedConfigs: zone,
// service, policy and ipset files made of odd values, including where
// firewalld 1.3's and 2.x's readers part ways.

var diffPools = map[string][]string{
	"port":   {"993", "0", "65535", "65536", "1-10", "10-1", "5-5", "imaps", "imaps-pop3s", "ftp-data", "1_0", " 5", "+5", "-5", "", "5-", "-", "http-alt", "1-65536", "a", "993 ", "0x10", "١"},
	"proto":  {"tcp", "udp", "xyz", "esp", "6", "256", "TCP", "icmp", "sctp", "dccp", "", "-1", " 6"},
	"addr4":  {"10.0.0.1", "10.0.0.0/8", "10.0.0.0/255.0.0.0", "10.0.0.0/33", "01.2.3.4", "10.0.0.0/ 8", "10.0.0.0/+8", "1.2.3.4/", "/8", "0.0.0.0/0", "1.2.3", "10.0.0.0/8/8", "10.0.0.0/1_0", "1.2.3.4/255.0.255.0"},
	"addr6":  {"::1", "[::1]", "fe80::1%eth0", "::ffff:1.2.3.4", "2001:db8::/32", "2001:db8::/129", "[2001:db8::]/32", "::/0", "1::2::3", "2001:db8::/ 32"},
	"mac":    {"00:11:22:33:44:55", "00:11:22:33:44:5", "00-11-22-33-44-55", "aa:bb:cc:dd:ee:FF"},
	"family": {"", "ipv4", "ipv6", "ipv5"},
	"prefix": {"x", `it&quot;s`, "a=b", "a b", `a\`, "a'b", "", `a&quot;b&quot;c`, `\&quot;`, "x&#10;y", strings.Repeat("p", 128)},
	"level":  {"info", "warning", "bogus", ""},
	"limit":  {"1/m", "1/minute", "0/s", "1/d", "2/d", "x", "2/week", "1_0/s", "1/s/s", "+1/m", " 1/m"},
	"mark":   {"1", "0x1/0xff", "1/2/3", "-1", "4294967296", "0o7", "010", "0x", "1/"},
	"target": {"ACCEPT", "DROP", "%%REJECT%%", "REJECT", "default", "", "{chain}_{zone}", "accept"},
	"iface":  {"eth0", "a b", "a/b", "verylongifacename0", "e*", "e:1", ""},
	"prio":   {"0", "-10", "10", "40000", "-32768", "x", " 5", "1_0", "+3"},
	"rtype":  {"icmp-port-unreachable", "tcp-reset", "icmp6-adm-prohibited", "bogus", ""},
	"svc":    {"imaps", "smtp", "nosuch", ""},
	"icmp":   {"echo-request", "nosuch", "neighbour-advertisement", ""},
	"mss":    {"pmtu", "536", "535", "None", "x", ""},
	"toaddr": {"192.0.2.1", "2001:db8::1", "bogus", "10.0.0.0/8", ""},
	// firewalld 2.x only: a limit's burst, a zone's ingress/egress priority
	"burst": {"5", "0", "-1", "10000000", "10000001", "x", " 3", "1_0"},
	"zprio": {"0", "-10", "32767", "40000", "-32769", "x", "+5", " 7"},
	"rate":  {"10001/s", "10000/s", "1/ m", "5/minute ", "600001/m"},
}

func diffPick(r *rand.Rand, k string) string { p := diffPools[k]; return p[r.Intn(len(p))] }

func diffRule(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("<rule")
	if r.Intn(2) == 0 {
		fmt.Fprintf(&b, ` family="%s"`, diffPick(r, "family"))
	}
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, ` priority="%s"`, diffPick(r, "prio"))
	}
	b.WriteString(">")
	if r.Intn(2) == 0 {
		inv := ""
		if r.Intn(3) == 0 {
			inv = ` invert="yes"`
		}
		switch r.Intn(5) {
		case 0:
			fmt.Fprintf(&b, `<source address="%s"%s/>`, diffPick(r, "addr4"), inv)
		case 1:
			fmt.Fprintf(&b, `<source address="%s"%s/>`, diffPick(r, "addr6"), inv)
		case 2:
			fmt.Fprintf(&b, `<source mac="%s"%s/>`, diffPick(r, "mac"), inv)
		case 3:
			fmt.Fprintf(&b, `<source ipset="allow"%s/>`, inv)
		default:
			b.WriteString(`<source/>`)
		}
	}
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, `<destination address="%s"/>`, diffPick(r, "addr4"))
	}
	n := r.Intn(3)
	for i := 0; i < n; i++ {
		switch r.Intn(10) {
		case 0:
			fmt.Fprintf(&b, `<service name="%s"/>`, diffPick(r, "svc"))
		case 1:
			fmt.Fprintf(&b, `<port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		case 2:
			fmt.Fprintf(&b, `<protocol value="%s"/>`, diffPick(r, "proto"))
		case 3:
			fmt.Fprintf(&b, `<forward-port port="%s" protocol="tcp" to-port="%s" to-addr="%s"/>`, diffPick(r, "port"), diffPick(r, "port"), diffPick(r, "toaddr"))
		case 4:
			fmt.Fprintf(&b, `<icmp-block name="%s"/>`, diffPick(r, "icmp"))
		case 5:
			fmt.Fprintf(&b, `<icmp-type name="%s"/>`, diffPick(r, "icmp"))
		case 6:
			b.WriteString(`<masquerade/>`)
		case 7:
			fmt.Fprintf(&b, `<tcp-mss-clamp value="%s"/>`, diffPick(r, "mss"))
		case 8:
			fmt.Fprintf(&b, `<source-port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		default:
			b.WriteString(`<service name="imaps"/>`)
		}
	}
	if r.Intn(2) == 0 {
		if r.Intn(2) == 0 {
			fmt.Fprintf(&b, `<log prefix="%s" level="%s">`, diffPick(r, "prefix"), diffPick(r, "level"))
		} else {
			fmt.Fprintf(&b, `<nflog prefix="%s" group="%s">`, diffPick(r, "prefix"), diffPick(r, "prio"))
		}
		if r.Intn(2) == 0 {
			b.WriteString(diffLimit(r))
		}
		if r.Intn(2) == 0 {
			b.WriteString("</log>")
		} else {
			b.WriteString("</nflog>")
		}
	}
	if r.Intn(4) == 0 {
		b.WriteString("<audit/>")
	}
	if r.Intn(5) != 0 {
		switch r.Intn(4) {
		case 0:
			b.WriteString("<accept>")
			if r.Intn(2) == 0 {
				b.WriteString(diffLimit(r))
			}
			b.WriteString("</accept>")
		case 1:
			fmt.Fprintf(&b, `<reject type="%s"/>`, diffPick(r, "rtype"))
		case 2:
			b.WriteString("<drop/>")
		default:
			fmt.Fprintf(&b, `<mark set="%s"/>`, diffPick(r, "mark"))
		}
	}
	b.WriteString("</rule>")
	return strings.Replace(b.String(), "</log></nflog>", "</nflog>", 1)
}

// diffLimit is a <limit>, now and then with a burst (2.x) or a rate
// only 2.x refuses (too fast) or accepts (spaces around the unit).
func diffLimit(r *rand.Rand) string {
	value := diffPick(r, "limit")
	if r.Intn(4) == 0 {
		value = diffPick(r, "rate")
	}
	if r.Intn(3) == 0 {
		return fmt.Sprintf(`<limit value="%s" burst="%s"/>`, value, diffPick(r, "burst"))
	}
	return fmt.Sprintf(`<limit value="%s"/>`, value)
}

// diffMisplaced is an element where the releases' readers differ: 1.3
// logs and skips (sometimes the rest of the rule), 2.x raises.
func diffMisplaced(r *rand.Rand) string {
	return []string{
		`<icmp-type name="echo-request"/>`, `<destination address="10.0.0.1"/>`, `<log prefix="x"/>`,
		`<tcp-mss-clamp value="pmtu"/>`, `<accept/>`, `<limit value="1/m"/>`, `<audit/>`,
		`<source address="10.0.0.0/8" invert="yes"/>`, `<source/>`, `<source address="10.0.0.1" ipset="allow"/>`,
		`<rule family="ipv4"><service name="imaps"/><service name="smtp"/><accept/></rule>`,
		`<rule family="ipv4"><destination address="10.0.0.1"/><destination address="10.0.0.2"/><service name="imaps"/><accept/></rule>`,
		`<rule family="ipv4"><service name="imaps"/><log/><log/><accept/></rule>`,
		`<rule family="ipv4"><service name="imaps"/><accept/><drop/></rule>`,
		`<rule family="ipv4"><interface name="eth0"/><service name="imaps"/><accept/></rule>`,
		`<rule family="ipv4"><source ipset="nosuch"/><accept/></rule>`,
		`<rule family="ipv4"><service name="imaps"/><nflog group=""/><accept/></rule>`,
		`<rule family="ipv4"><service name="imaps"/><log prefix=""/><accept/></rule>`,
	}[r.Intn(18)]
}

func diffZone(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("<zone")
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, ` target="%s"`, diffPick(r, "target"))
	}
	if r.Intn(8) == 0 {
		fmt.Fprintf(&b, ` ingress-priority="%s"`, diffPick(r, "zprio"))
	}
	if r.Intn(8) == 0 {
		fmt.Fprintf(&b, ` egress-priority="%s"`, diffPick(r, "zprio"))
	}
	b.WriteString(">")
	n := 1 + r.Intn(4)
	for i := 0; i < n; i++ {
		if r.Intn(8) == 0 {
			b.WriteString(diffMisplaced(r))
			continue
		}
		switch r.Intn(9) {
		case 0:
			fmt.Fprintf(&b, `<service name="%s"/>`, diffPick(r, "svc"))
		case 1:
			fmt.Fprintf(&b, `<port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		case 2:
			fmt.Fprintf(&b, `<protocol value="%s"/>`, diffPick(r, "proto"))
		case 3:
			fmt.Fprintf(&b, `<source address="%s"/>`, []string{diffPick(r, "addr4"), diffPick(r, "addr6"), diffPick(r, "mac")}[r.Intn(3)])
		case 4:
			fmt.Fprintf(&b, `<interface name="%s"/>`, diffPick(r, "iface"))
		case 5:
			fmt.Fprintf(&b, `<forward-port port="%s" protocol="tcp" to-port="%s"/>`, diffPick(r, "port"), diffPick(r, "port"))
		case 6:
			fmt.Fprintf(&b, `<icmp-block name="%s"/>`, diffPick(r, "icmp"))
		default:
			b.WriteString(diffRule(r))
		}
	}
	b.WriteString("</zone>")
	return b.String()
}

func diffService(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("<service>")
	for i := 0; i < 1+r.Intn(3); i++ {
		switch r.Intn(8) {
		case 0:
			fmt.Fprintf(&b, `<port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		case 1:
			fmt.Fprintf(&b, `<protocol value="%s"/>`, diffPick(r, "proto"))
		case 2:
			fmt.Fprintf(&b, `<destination ipv4="%s" ipv6="%s"/>`, diffPick(r, "addr4"), diffPick(r, "addr6"))
		case 3:
			fmt.Fprintf(&b, `<module name="%s"/>`, []string{"nf_conntrack_ftp", "x", "nf_conntrack_", "nf_conntrack_a"}[r.Intn(4)])
		case 4:
			fmt.Fprintf(&b, `<include service="%s"/>`, diffPick(r, "svc"))
		case 5:
			fmt.Fprintf(&b, `<source-port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		case 6:
			b.WriteString(`<port protocol="tcp"/>`)
		default:
			fmt.Fprintf(&b, `<helper name="%s"/>`, "ftp")
		}
	}
	b.WriteString("</service>")
	return b.String()
}

func diffPolicy(r *rand.Rand) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<policy target="%s" priority="%s">`, []string{"ACCEPT", "REJECT", "DROP", "CONTINUE", "%%REJECT%%"}[r.Intn(5)], diffPick(r, "prio"))
	zones := []string{"public", "HOST", "ANY", "nosuch", "work"}
	for i := 0; i < r.Intn(3); i++ {
		fmt.Fprintf(&b, `<ingress-zone name="%s"/>`, zones[r.Intn(len(zones))])
	}
	for i := 0; i < r.Intn(3); i++ {
		fmt.Fprintf(&b, `<egress-zone name="%s"/>`, zones[r.Intn(len(zones))])
	}
	if r.Intn(3) == 0 {
		b.WriteString("<masquerade/>")
	}
	if r.Intn(4) == 0 { // 1.3 refuses a to-addr towards HOST, 2.x does not
		fmt.Fprintf(&b, `<forward-port port="2525" protocol="tcp" to-port="25"%s/>`, []string{"", ` to-addr="192.0.2.1"`}[r.Intn(2)])
	}
	if r.Intn(2) == 0 {
		b.WriteString(diffRule(r))
	}
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, `<service name="%s"/>`, diffPick(r, "svc"))
	}
	if r.Intn(6) == 0 {
		b.WriteString(diffMisplaced(r))
	}
	b.WriteString("</policy>")
	return b.String()
}

func diffIPSet(r *rand.Rand) string {
	types := []string{"hash:ip", "hash:net", "hash:mac", "hash:ip,port", "hash:foo", ""}
	var b strings.Builder
	fmt.Fprintf(&b, `<ipset type="%s">`, types[r.Intn(len(types))])
	for i := 0; i < r.Intn(3); i++ {
		names := []string{"family", "timeout", "hashsize", "maxelem", "bogus"}
		vals := []string{"inet", "inet6", "10", "-1", "x", "", "1_0"}
		fmt.Fprintf(&b, `<option name="%s" value="%s"/>`, names[r.Intn(len(names))], vals[r.Intn(len(vals))])
	}
	for i := 0; i < r.Intn(4); i++ {
		fmt.Fprintf(&b, `<entry>%s</entry>`, diffPick(r, "addr4"))
	}
	if r.Intn(4) == 0 { // 2.x refuses more entries than maxelem
		fmt.Fprintf(&b, `<option name="maxelem" value="%d"/>`, r.Intn(3))
	}
	b.WriteString("</ipset>")
	return b.String()
}
