package firewalld

import (
	"net/netip"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/netfilter"
)

// direct.xml as firewalld writes it (io/direct.py): rules by priority and
// passthroughs; the judge sees what firewalld applies after a reload.
func TestDirectXMLJudged(t *testing.T) {
	q := func(src string, port uint16) netfilter.Query {
		a := netip.MustParseAddr(src)
		return netfilter.Query{IPv6: a.Is6(), Source: netip.PrefixFrom(a, a.BitLen()), Iface: "eth0", Port: port}
	}
	cases := []struct {
		name, xml string
		query     netfilter.Query
		want      netfilter.Outcome
		notJudged int
	}{
		{"a rule refusing 993", `<?xml version="1.0" encoding="utf-8"?>
<direct><rule priority="0" table="filter" ipv="ipv4" chain="INPUT">-p tcp --dport 993 -j REJECT</rule></direct>`,
			q("203.0.113.7", 993), netfilter.Refused, 0},
		{"an accept at a lower priority does not end other tables, but ends its chain", `<direct>
<rule priority="1" table="filter" ipv="ipv4" chain="INPUT">-p tcp --dport 993 -j REJECT</rule>
<rule priority="0" table="filter" ipv="ipv4" chain="INPUT">-s 203.0.113.0/24 -j ACCEPT</rule></direct>`,
			q("203.0.113.7", 993), netfilter.Accepted, 0},
		{"IPv6 rules do not touch IPv4", `<direct><rule priority="0" table="filter" ipv="ipv6" chain="INPUT">-p tcp --dport 993 -j DROP</rule></direct>`,
			q("203.0.113.7", 993), netfilter.Accepted, 0},
		{"a passthrough inserting a reject", `<direct><passthrough ipv="ipv6">-t filter -I INPUT 1 -s 2001:db8::/32 -p tcp --dport 993 -j DROP</passthrough></direct>`,
			q("2001:db8::7", 993), netfilter.Refused, 0},
		{"a passthrough policy", `<direct><passthrough ipv="ipv4">-P INPUT DROP</passthrough></direct>`,
			q("203.0.113.7", 993), netfilter.Refused, 0},
		{"a passthrough not judged", `<direct><passthrough ipv="ipv4">-t filter -R INPUT 1 -j ACCEPT</passthrough></direct>`,
			q("203.0.113.7", 993), netfilter.Accepted, 1},
		{"a match the judge cannot read", `<direct><rule priority="0" table="filter" ipv="ipv4" chain="INPUT">-m recent --rcheck -p tcp --dport 993 -j DROP</rule></direct>`,
			q("203.0.113.7", 993), netfilter.CannotTell, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rules, err := parseDirectXML([]byte(c.xml))
			if err != nil {
				t.Fatal(err)
			}
			rs, notJudged := netfilter.DirectRuleset(rules)
			v := netfilter.Judge(rs, c.query)
			if v.Outcome != c.want || len(notJudged) != c.notJudged {
				t.Errorf("got %s (%s), %d not judged; want %s, %d", v.Outcome, v.Rule, len(notJudged), c.want, c.notJudged)
			}
			if v.Outcome == netfilter.Refused && v.Rule.Origin != netfilter.OriginDirect {
				t.Errorf("refused by %s, not a direct rule", v.Rule)
			}
		})
	}
	for _, bad := range []string{`<direct><rule priority="x" table="filter" ipv="ipv4" chain="INPUT">-j DROP</rule></direct>`, `<direct><rule`, `<other/>`} {
		if _, err := parseDirectXML([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if got := directFix("ipv4 -t filter -I INPUT -j DROP"); got != "firewall-cmd --permanent --direct --remove-passthrough ipv4 -t filter -I INPUT -j DROP && firewall-cmd --reload" {
		t.Errorf("passthrough fix: %s", got)
	}
}
