package netfilter

import (
	"net/netip"
	"testing"
)

// `ipset save` as ipset 7 prints it: hash:ip and hash:net sets are read;
// another type, or an entry not understood (a nomatch exception), leaves
// its set out so a rule matching it is "cannot tell", never a miss.
func TestParseIpsetSave(t *testing.T) {
	sets := ParseIpsetSave([]byte(`create f2b-dovecot hash:ip family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0x1d3c5a7e
add f2b-dovecot 203.0.113.7 timeout 3583
create f2b-dovecot6 hash:ip family inet6 hashsize 1024 maxelem 65536
add f2b-dovecot6 2001:db8::7
create blocknets hash:net family inet hashsize 1024 maxelem 65536
add blocknets 10.0.0.0/8
create except hash:net family inet hashsize 1024 maxelem 65536
add except 10.0.0.0/8
add except 10.1.0.0/16 nomatch
create pairs hash:ip,port family inet hashsize 1024 maxelem 65536
add pairs 203.0.113.7,tcp:993
`))
	for name, want := range map[string]int{"f2b-dovecot": 1, "f2b-dovecot6": 1, "blocknets": 1, "except": -1, "pairs": -1} {
		s := sets[name]
		switch {
		case want < 0 && s != nil:
			t.Errorf("%s: read, want left out", name)
		case want >= 0 && (s == nil || len(s.Elements) != want):
			t.Errorf("%s: %+v, want %d elements", name, s, want)
		}
	}
	if sets["f2b-dovecot6"].Type != "ipv6_addr" {
		t.Errorf("inet6 set typed %v", sets["f2b-dovecot6"].Type)
	}
	// The judge looks a source up in it as in an nft set.
	tables, err := ParseIptablesSave([]byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m multiport --dports 143,993 -m set --match-set f2b-dovecot src -j REJECT\n-A INPUT -m set ! --match-set blocknets src -p tcp --dport 25 -j DROP\nCOMMIT\n"), "ip")
	if err != nil {
		t.Fatal(err)
	}
	for n, s := range sets {
		tables[0].Sets[n] = s
	}
	rs := &Ruleset{Tables: tables}
	q := func(src string, port uint16) Outcome {
		a := netip.MustParseAddr(src)
		return Judge(rs, Query{Source: netip.PrefixFrom(a, 32), Iface: "eth0", Port: port}).Outcome
	}
	for _, c := range []struct {
		src  string
		port uint16
		want Outcome
	}{{"203.0.113.7", 993, Refused}, {"203.0.113.8", 993, Accepted}, {"10.2.3.4", 25, Accepted}, {"192.0.2.1", 25, Refused}} {
		if got := q(c.src, c.port); got != c.want {
			t.Errorf("%s → %d: %s, want %s", c.src, c.port, got, c.want)
		}
	}
}
