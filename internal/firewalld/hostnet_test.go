package firewalld

import (
	"reflect"
	"testing"
)

// Samples in the kernel's formats (Linux 6.1), trimmed.
func TestProcNetParsers(t *testing.T) {
	route := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
		"eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
		"wg0\t00000000\t00000000\t0000\t0\t0\t0\t00000000\t0\t0\t0\n" // not RTF_UP
	if got := defaultRouteIfaces4([]byte(route)); !reflect.DeepEqual(got, []string{"eth0"}) {
		t.Errorf("IPv4 default route: %v", got)
	}
	v6 := "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth1\n" +
		"00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo\n" +
		"fd000203000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth1\n"
	if got := defaultRouteIfaces6([]byte(v6)); !reflect.DeepEqual(got, []string{"eth1"}) {
		t.Errorf("IPv6 default route: %v", got)
	}
	inet6 := "fd000203000000000000000000000001 02 40 00 80     mail0\n" +
		"fe80000000000000d86370fffe7582dc 02 40 20 80     mail0\n" +
		"00000000000000000000000000000001 01 80 10 80        lo\n"
	if got := globalAddrs6([]byte(inet6)); len(got) != 1 || got[0].String() != "fd00:203::1" {
		t.Errorf("global IPv6: %v", got)
	}
	trie := "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n" +
		"     +-- 10.203.0.0/24 2 0 2\n        |-- 10.203.0.1\n           /32 host LOCAL\n" +
		"     |-- 127.0.0.1\n        /32 host LOCAL\n     |-- 169.254.1.1\n        /32 host LOCAL\n" +
		"Local:\n  +-- 0.0.0.0/0 3 0 5\n        |-- 10.203.0.1\n           /32 host LOCAL\n"
	if got := localAddrs4([]byte(trie)); len(got) != 1 || got[0].String() != "10.203.0.1" {
		t.Errorf("local IPv4: %v", got)
	}
}
