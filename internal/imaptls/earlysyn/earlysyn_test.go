package earlysyn

import "testing"

func TestLookAhead(t *testing.T) {
	for _, c := range []struct {
		args    []string
		host    string
		network string
		port    int
		ok      bool
	}{
		{[]string{"-H", "192.0.2.1"}, "192.0.2.1", "ip", 993, true},
		{[]string{"-H192.0.2.1", "-p10993"}, "192.0.2.1", "ip", 10993, true},
		{[]string{"--host=mail.example.org", "--starttls"}, "mail.example.org", "ip", 143, true},
		{[]string{"--host", "h", "--port", "1", "-6"}, "h", "ip6", 1, true},
		{[]string{"-4", "-H", "h", "-p", "143", "--starttls"}, "h", "ip4", 143, true},
		{[]string{"-H", "h", "--help"}, "", "", 0, false},
		{[]string{"-H", "h", "-V"}, "", "", 0, false},
		{[]string{"-p", "99999", "-H", "h"}, "", "", 0, false},
		{[]string{"-p", "x", "-H", "h"}, "", "", 0, false},
		{[]string{"-H"}, "", "ip", 993, false},
		{nil, "", "ip", 993, false},
	} {
		host, network, port, ok := LookAhead(c.args)
		if host != c.host || network != c.network || port != c.port || ok != c.ok {
			t.Errorf("%q: %q %q %d %v", c.args, host, network, port, ok)
		}
	}
}

func TestParseIPv4(t *testing.T) {
	for s, want := range map[string]bool{
		"127.0.0.1": true, "192.0.2.255": true, "0.0.0.0": true,
		"256.0.0.1": false, "1.2.3": false, "1.2.3.4.5": false, "01.2.3.4": false, "1..2.3": false,
		"1.2.3.4 ": false, "::1": false, "localhost": false, "": false, "1234.1.1.1": false, "99999999999999999999.1.1.1": false,
	} {
		if _, ok := parseIPv4(s); ok != want {
			t.Errorf("%q: %v", s, ok)
		}
	}
	if a, _ := parseIPv4("192.0.2.7"); a != [4]byte{192, 0, 2, 7} {
		t.Errorf("%v", a)
	}
}
