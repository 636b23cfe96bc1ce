package fail2ban

import (
	"errors"
	"net/netip"
	"testing"
)

func TestParseEntry(t *testing.T) {
	for raw, want := range map[string]Entry{
		"203.0.113.7":              {Kind: EntryAddr, Prefix: netip.MustParsePrefix("203.0.113.7/32")},
		"::ffff:203.0.113.7":       {Kind: EntryAddr, Prefix: netip.MustParsePrefix("::ffff:203.0.113.7/128")},
		"0.0.0.0":                  {Kind: EntryAddr, Prefix: netip.MustParsePrefix("0.0.0.0/32")},
		"fe80::1%lo":               {Kind: EntryName, Name: "fe80::1%lo"},
		"127.1":                    {Kind: EntryName, Name: "127.1"},
		"[2001:db8::1]":            {Kind: EntryAddr, Prefix: netip.MustParsePrefix("2001:db8::1/128")},
		"10.0.0.0/8":               {Kind: EntryPrefix, Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		"10.1.2.3/8":               {Kind: EntryPrefix, Prefix: netip.MustParsePrefix("10.0.0.0/8")},
		"10.0.0.0/255.255.0.0":     {Kind: EntryPrefix, Prefix: netip.MustParsePrefix("10.0.0.0/16")},
		"2001:db8:1::/48":          {Kind: EntryPrefix, Prefix: netip.MustParsePrefix("2001:db8:1::/48")},
		"2001:db8::/ffff:ffff::":   {Kind: EntryPrefix, Prefix: netip.MustParsePrefix("2001:db8::/32")},
		"home.example.org":         {Kind: EntryName, Name: "home.example.org"},
		"localhost":                {Kind: EntryName, Name: "localhost"},
		"file:/etc/fail2ban/trust": {Kind: EntryFile, Path: "/etc/fail2ban/trust"},
		"10.0.0.0/33":              {Kind: EntryOpaque},
		"10.0.0.0/255.0.255.0":     {Kind: EntryOpaque},
		"name/24":                  {Kind: EntryOpaque},
	} {
		got := ParseEntry(raw)
		want.Raw = raw
		if got != want {
			t.Errorf("%q: got %+v want %+v", raw, got, want)
		}
	}
}

func TestMatch(t *testing.T) {
	resolved := map[string]Resolution{
		"home.example.org": {Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("2001:db8:5::7")}},
		"gone.example.org": {Err: errors.New("no such host")},
	}
	self := []netip.Addr{netip.MustParseAddr("192.0.2.1")}
	jail := func(ignoreself bool, cmd string, ips ...string) JailState {
		return JailState{Name: "j", IgnoreIP: ips, IgnoreSelf: ignoreself, IgnoreCommand: cmd}
	}
	for _, tc := range []struct {
		name       string
		ip         string
		j          JailState
		covered    bool
		by         string
		unresolved int
		unjudged   int
	}{
		{"single", "203.0.113.7", jail(false, "", "203.0.113.7"), true, "203.0.113.7", 0, 0},
		{"v4 cidr", "10.9.8.7", jail(false, "", "10.0.0.0/8"), true, "10.0.0.0/8", 0, 0},
		{"v6 cidr", "2001:db8:1:ff::1", jail(false, "", "2001:db8:1::/48"), true, "2001:db8:1::/48", 0, 0},
		{"v6 outside", "2001:db8:2::1", jail(false, "", "2001:db8:1::/48"), false, "", 0, 0},
		{"mapped target", "::ffff:10.1.1.1", jail(false, "", "10.0.0.0/8"), true, "10.0.0.0/8", 0, 0},
		{"v4 vs v6 net", "10.1.1.1", jail(false, "", "::/0"), false, "", 0, 0},
		{"dns a", "203.0.113.7", jail(false, "", "home.example.org"), true, "home.example.org (resolves to 203.0.113.7)", 0, 0},
		{"dns aaaa", "2001:db8:5::7", jail(false, "", "home.example.org"), true, "home.example.org (resolves to 2001:db8:5::7)", 0, 0},
		{"dns other ip", "203.0.113.8", jail(false, "", "home.example.org"), false, "", 0, 0},
		{"dns unresolved", "203.0.113.8", jail(false, "", "gone.example.org"), false, "", 1, 0},
		{"ignoreself", "192.0.2.1", jail(true, ""), true, "ignoreself (an address of this host)", 0, 0},
		{"ignoreself off", "192.0.2.1", jail(false, ""), false, "", 0, 0},
		{"file set", "203.0.113.8", jail(false, "", "file:/etc/trusted"), false, "", 0, 1},
		{"ignorecommand", "203.0.113.8", jail(false, "/usr/local/bin/trusted <ip>"), false, "", 0, 1},
		{"covered despite ignorecommand", "10.1.1.1", jail(false, "/bin/false", "10.0.0.0/8"), true, "10.0.0.0/8", 0, 0},
		{"empty", "203.0.113.8", jail(false, ""), false, "", 0, 0},
	} {
		c := Match(netip.MustParseAddr(tc.ip), tc.j, resolved, self)
		if c.Covered != tc.covered || c.By != tc.by || len(c.Unresolved) != tc.unresolved || len(c.Unjudged) != tc.unjudged {
			t.Errorf("%s: got %+v", tc.name, c)
		}
	}
}
