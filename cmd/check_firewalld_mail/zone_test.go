package main

import (
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// --zone names where mail should be open; the check still works out where
// clients land, and a zone clients never reach is not OK. The client in
// the second namespace is the reference.
func TestZoneFlagDoesNotHideWhereClientsLand(t *testing.T) {
	fw, client := startMailHost(t)
	v6 := func(served bool) {
		t.Helper()
		got, err := client.Connect(sandbox.ClientIPv6, sandbox.MailIPv6, 993, 700*time.Millisecond)
		if served != (err == nil && got == "993") {
			t.Fatalf("reference: IPv6 imaps got %q, %v; want served=%v", got, err, served)
		}
	}
	cases := []struct {
		name         string
		setup        [][]string // --permanent arguments, then a reload
		served4      bool
		served6      bool
		code         int
		texts        []string
		cleanupSetup [][]string
	}{
		{"interface bound to zone drop", [][]string{{"--zone=drop", "--change-interface=" + sandbox.MailIfname}}, false, false, 2,
			[]string{"imaps (993/tcp) is closed in runtime zone drop", "clients on mail0 land in zone drop, not public (--zone): mail0 is bound to it",
				"firewall-cmd --zone=public --change-interface=mail0 && firewall-cmd --permanent --zone=public --change-interface=mail0"},
			[][]string{{"--zone=drop", "--remove-interface=" + sandbox.MailIfname}}},
		{"a source zone catches every IPv4 client", [][]string{{"--zone=block", "--add-source=0.0.0.0/0"}}, false, true, 2,
			[]string{"is closed for IPv4 in runtime zone block", "IPv4 clients land in zone block, not public (--zone): its source 0.0.0.0/0",
				"firewall-cmd --permanent --zone=block --remove-source=0.0.0.0/0"},
			[][]string{{"--zone=block", "--remove-source=0.0.0.0/0"}}},
		{"clients land in another zone that opens imaps: still not OK", [][]string{{"--zone=work", "--change-interface=" + sandbox.MailIfname}}, true, true, 1,
			[]string{"clients on mail0 land in zone work, not public (--zone)"},
			[][]string{{"--zone=work", "--remove-interface=" + sandbox.MailIfname}}},
		{"clients land in --zone's zone: OK", nil, true, true, 0, []string{"OK: "}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range c.setup {
				mustCmd(t, fw, append([]string{"--permanent"}, args...)...)
			}
			mustCmd(t, fw, "--reload")
			t.Cleanup(func() {
				for _, args := range c.cleanupSetup {
					mustCmd(t, fw, append([]string{"--permanent"}, args...)...)
				}
				mustCmd(t, fw, "--reload")
			})
			expectServed(t, client, c.served4)
			v6(c.served6)
			code, out := checkMail(t, fw, "--zone", "public")
			expect(t, code, c.code, out, c.texts...)
			cliCode, cliOut := checkMail(t, fw, "--zone", "public", "--runtime-source", "cli", "-t", "60")
			if cliCode != code || firstLine(cliOut) != firstLine(out) {
				t.Fatalf("firewall-cmd and D-Bus disagree:\n%s\n---\n%s", out, cliOut)
			}
		})
	}
}

// With NetworkManager owning mail0's zone, the fix is its profile's.
func TestZoneFlagWithNetworkManagerZone(t *testing.T) {
	fw, client := startMailHost(t)
	startNM(t, fw, "drop")
	expectServed(t, client, false)
	code, out := checkMail(t, fw, "--zone", "public")
	expect(t, code, 2, out, `clients on mail0 land in zone drop, not public (--zone): mail0 is bound to it (NetworkManager profile mail)`,
		"nmcli connection modify mail connection.zone public")
}
