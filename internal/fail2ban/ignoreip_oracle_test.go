package fail2ban

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// oracleCase is one jail's ignoreip entries (as written in jail.local) and
// the addresses to judge; printed is what the server prints back for them
// (`get JAIL ignoreip`, in any order: single addresses come from a set), and
// printed11 what fail2ban 1.1 prints where that differs (it keeps some masks
// that 1.0 dropped).
type oracleCase struct {
	Entries   []string `json:"entries"`
	IPs       []string `json:"ips"`
	printed   []string
	printed11 []string
}

// printedBy is what the given fail2ban version prints for the case.
func (c oracleCase) printedBy(version string) []string {
	if sandbox.Fail2banAtLeast11(version) && c.printed11 != nil {
		return c.printed11
	}
	return c.printed
}

type oracleAnswer struct {
	Printed  []string        `json:"printed"`
	Verdicts map[string]bool `json:"verdicts"`
	Error    *string         `json:"error"`
}

// oracleCases: fail2ban's own cases (tests/filtertestcase.py IgnoreIP
// testIgnoreIPOK, testIgnoreIPNOK, testIgnoreIPCIDR, testIgnoreIPMask;
// IPAddr tests testIPAddr_InInet, testIPAddr_CIDR, testIPAddr_Equal6;
// servertestcase.py testJailIgnoreIP duplicates), then the forms of issue 10.
var oracleCases = []oracleCase{
	{Entries: []string{"127.0.0.1", "192.168.0.1", "255.255.255.255", "99.99.99.99"},
		IPs: []string{"127.0.0.1", "192.168.0.1", "255.255.255.255", "99.99.99.99", "127.0.0.2"}, printed: []string{"127.0.0.1", "192.168.0.1", "255.255.255.255", "99.99.99.99"}},
	{Entries: []string{"999.999.999.999", "abcdef.abcdef", "192.168.0."},
		IPs: []string{"192.168.0.1", "10.0.0.1"}, printed: []string{"999.999.999.999", "abcdef.abcdef", "192.168.0."}},
	{Entries: []string{"192.168.1.0/25"},
		IPs: []string{"192.168.1.0", "192.168.1.1", "192.168.1.127", "192.168.1.128", "192.168.1.255", "192.168.0.255"}, printed: []string{"192.168.1.0/25"}},
	{Entries: []string{"192.168.1.0/255.255.255.128"},
		IPs: []string{"192.168.1.0", "192.168.1.127", "192.168.1.128", "192.168.0.255"}, printed: []string{"192.168.1.0/25"}},
	{Entries: []string{"93.184.0.1/24", "2606:2800:220:1:248:1893:25c8:0/120"},
		IPs:     []string{"93.184.0.1", "93.184.0.255", "93.184.1.0", "2606:2800:220:1:248:1893:25c8:1", "2606:2800:220:1:248:1893:25c8:ff", "2606:2800:220:1:248:1893:25c8:100"},
		printed: []string{"93.184.0.0/24", "2606:2800:220:1:248:1893:25c8:0/120"}},
	{Entries: []string{"93.184.0.1/32", "2606:28ff:220:1:248:1893:25c8::/ffff:ff80::", "2606:28ff:220:1:248:1893:25c8::/128"},
		IPs:     []string{"93.184.0.1", "93.184.0.2", "2606:2880::1", "2606:2900::1", "2606:28ff:220:1:248:1893:25c8:0"},
		printed: []string{"2606:2880::/25", "93.184.0.1", "2606:28ff:220:1:248:1893:25c8:0"}},
	{Entries: []string{"[2606:2800:220:1:248:1893::]"}, IPs: []string{"2606:2800:220:1:248:1893:0:0", "2606:2800:220:1:248:1893:0:1"}, printed: []string{"2606:2800:220:1:248:1893::"}},
	{Entries: []string{"127.0.0.1", "127.0.0.1"}, IPs: []string{"127.0.0.1"}, printed: []string{"127.0.0.1"}},

	// IPv4-mapped IPv6: with a mask it stays IPv6 (printed without /128 by
	// 1.0, with it by 1.1), without one it becomes IPv4.
	{Entries: []string{"::ffff:203.0.113.7/128"}, IPs: []string{"203.0.113.7", "::ffff:203.0.113.7"},
		printed: []string{"::ffff:203.0.113.7"}, printed11: []string{"::ffff:203.0.113.7/128"}},
	{Entries: []string{"::ffff:203.0.113.7"}, IPs: []string{"203.0.113.7", "203.0.113.8"}, printed: []string{"203.0.113.7"}},
	{Entries: []string{"::ffff:203.0.113.0/120", "::ffff:0:0/96"}, IPs: []string{"203.0.113.7", "10.0.0.1"}, printed: []string{"::ffff:203.0.113.0/120", "::ffff:0.0.0.0/96"}},
	// a /0 prints without its mask
	{Entries: []string{"0.0.0.0/0"}, IPs: []string{"203.0.113.7", "10.0.0.1", "2001:db8::1"}, printed: []string{"0.0.0.0"}},
	{Entries: []string{"::/0"}, IPs: []string{"2001:db8::1", "203.0.113.7"}, printed: []string{"::"}},
	{Entries: []string{"127.0.0.1/8", "::1", "0.0.0.0/0", "1.2.3.4"}, IPs: []string{"203.0.113.7", "2001:db8::1"}, printed: []string{"127.0.0.0/8", "0.0.0.0", "::1", "1.2.3.4"}},
	{Entries: []string{"198.51.100.9/0", "2001:db8::/0"}, IPs: []string{"203.0.113.7", "2001:db8:5::1"}, printed: []string{"0.0.0.0", "::"}},
	{Entries: []string{"10.1.2.3/8"}, IPs: []string{"10.200.0.1", "11.0.0.1"}, printed: []string{"10.0.0.0/8"}},
	// numeric forms getaddrinfo (inet_aton) resolves; fail2ban keeps the
	// raw text, without its mask
	{Entries: []string{"127.1", "0x7f.0.0.2", "2130706435", "0177.0.0.4", "010.0.0.1", "127.0.5", "0x7f000006"},
		IPs:     []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "8.0.0.1", "10.0.0.1", "127.0.0.5", "127.0.0.6", "127.0.0.7", "::1"},
		printed: []string{"127.1", "0x7f.0.0.2", "2130706435", "0177.0.0.4", "010.0.0.1", "127.0.5", "0x7f000006"}},
	{Entries: []string{"127.1/8"}, IPs: []string{"127.0.0.1", "127.0.0.2"}, printed: []string{"127.1"}, printed11: []string{"127.1/8"}},
	{Entries: []string{"1.2.3.256", "4294967295", "4294967296", "08.0.0.1", "0x.1", "1.2.3.4.5", "127.0.0.1."},
		IPs:     []string{"1.2.3.0", "255.255.255.255", "0.0.0.1", "1.2.3.4", "8.0.0.1", "127.0.0.1"},
		printed: []string{"1.2.3.256", "4294967295", "4294967296", "08.0.0.1", "0x.1", "1.2.3.4.5", "127.0.0.1."}},
	{Entries: []string{"localhost"}, IPs: []string{"127.0.0.1", "::1", "127.0.0.2"}, printed: []string{"localhost"}},
	{Entries: []string{"fe80::1%lo"}, IPs: []string{"fe80::1"}, printed: []string{"fe80::1%lo"}},
}

// localOnly resolves localhost from /etc/hosts (Go's resolver) and nothing
// else, as the oracle's getaddrinfo does: no DNS query leaves the test.
type localOnly struct{}

func (localOnly) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if host != "localhost" {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

// TestIgnoreIPAgainstFail2ban runs fail2ban's own addIgnoreIP, getIgnoreIP
// and inIgnoreIPList (testdata/ignoreip_oracle.py with the installed
// fail2ban) over the cases and checks that the server prints what the table
// says and that Match, fed the printed forms, decides every address as
// fail2ban does.
func TestIgnoreIPAgainstFail2ban(t *testing.T) {
	in, _ := json.Marshal(oracleCases)
	cmd := exec.Command("/usr/bin/python3", "testdata/ignoreip_oracle.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fail2ban's ignoreip code (install the fail2ban package with `make deps`): %v\n%s", err, stderr.String())
	}
	var answers []oracleAnswer
	if err := json.Unmarshal(out, &answers); err != nil || len(answers) != len(oracleCases) {
		t.Fatalf("oracle answered %d for %d cases: %v\n%s", len(answers), len(oracleCases), err, out)
	}
	version, err := sandbox.Fail2banVersion()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, c := range oracleCases {
		a := answers[i]
		if a.Error != nil {
			t.Errorf("%v: fail2ban refused an entry: %s", c.Entries, *a.Error)
		}
		got, want := slices.Sorted(slices.Values(a.Printed)), slices.Sorted(slices.Values(c.printedBy(version)))
		if !slices.Equal(got, want) {
			t.Errorf("%v: fail2ban %s prints %q, table says %q", c.Entries, version, a.Printed, want)
		}
		j := JailState{Name: "j", IgnoreIP: a.Printed}
		resolved := map[string]Resolution{}
		for _, n := range Names([]JailState{j}) {
			addrs, err := lookup(ctx, localOnly{}, n)
			resolved[n] = Resolution{Addrs: addrs, Err: err}
		}
		for _, ip := range c.IPs {
			cov := Match(netip.MustParseAddr(ip), j, resolved, nil)
			if cov.Covered != a.Verdicts[ip] {
				t.Errorf("entries %v printed %q: %s: fail2ban ignores it: %v, Match says %v (by %q)", c.Entries, a.Printed, ip, a.Verdicts[ip], cov.Covered, cov.By)
			}
		}
	}
}

// Where fail2ban's printing leaves a bare "0.0.0.0" ambiguous (a /0 or the
// single address), its position decides: networks come before the set of
// single addresses in getIgnoreIP.
func TestParseEntriesWholeFamilyByPosition(t *testing.T) {
	ip := netip.MustParseAddr("203.0.113.7")
	for _, tc := range []struct {
		printed []string
		covered bool
	}{
		{[]string{"0.0.0.0"}, true},                           // alone: read as the /0
		{[]string{"10.0.0.0/8", "0.0.0.0", "::1"}, true},      // before the singles
		{[]string{"0.0.0.0", "10.0.0.0/8", "::1"}, true},      // among the networks
		{[]string{"10.0.0.0/8", "1.2.3.4", "0.0.0.0"}, false}, // after a single: a single
		{[]string{"10.0.0.0/8", "0.0.0.0", "0.0.0.0"}, true},  // both: /0 and the single
		{[]string{"::", "10.0.0.0/8"}, false},                 // :: is IPv6 only
		{[]string{"1.2.3.4", "0.0.0.0", "localhost"}, true},   // before a name: a network
		{[]string{"1.2.3.4", "0.0.0.0"}, false},               // after a single, no network
		{[]string{"::ffff:0.0.0.0", "::ffff:0:0/96"}, false},  // mapped IPv6 never covers IPv4
		{[]string{"fe80::1%eth0", "2001:db8::/32"}, false},    // scoped: matches nothing
	} {
		c := Match(ip, JailState{IgnoreIP: tc.printed}, nil, nil)
		if c.Covered != tc.covered {
			t.Errorf("%q: covered %v (%s), want %v", tc.printed, c.Covered, c.By, tc.covered)
		}
	}
}
