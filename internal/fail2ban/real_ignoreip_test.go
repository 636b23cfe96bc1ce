package fail2ban

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestRealIgnoreIPForms asks a real fail2ban-server what it prints back for
// the entry forms of issue 10, then lets it decide real failed logins and
// checks that the plugin's verdict is what the server did:
//   - mapped: `::ffff:203.0.113.7/128` stays IPv6 (1.0 prints it without
//     its mask, 1.1 with it), so 203.0.113.7 is not
//     whitelisted and the server bans it;
//   - everyone: `0.0.0.0/0` prints as `0.0.0.0` and covers every IPv4
//     address, so the server ignores 203.0.113.7's failures (but not an
//     IPv6 address's).
func TestRealIgnoreIPForms(t *testing.T) {
	const forms = "::ffff:203.0.113.7/128 ::ffff:198.51.100.9 0.0.0.0/0 ::/0 127.1 0x7f.0.0.2 2130706435 " +
		"10.1.2.3/8 192.168.1.0/255.255.255.128 [2001:db8::1] ::ffff:0:0/96"
	own := "ignoreself = false"
	f := startReal(t,
		sandbox.Fail2banJail{Name: "mapped", Filter: "dovecot", IgnoreIP: "::ffff:203.0.113.7/128", Extra: own},
		sandbox.Fail2banJail{Name: "everyone", Filter: "dovecot", IgnoreIP: "127.0.0.1/8 ::1 0.0.0.0/0", Extra: own},
		sandbox.Fail2banJail{Name: "forms", Filter: "dovecot", IgnoreIP: forms, Extra: own})

	out, err := f.Client("get", "forms", "ignoreip")
	if err != nil {
		t.Fatal(err, out)
	}
	var printed []string
	for _, l := range strings.Split(out, "\n") {
		if e, ok := strings.CutPrefix(strings.TrimPrefix(l, "|- "), "`- "); ok || strings.HasPrefix(l, "|- ") {
			printed = append(printed, strings.TrimSpace(e))
		}
	}
	want := []string{"::ffff:203.0.113.7", "198.51.100.9", "0.0.0.0", "::", "127.1", "0x7f.0.0.2", "2130706435",
		"10.0.0.0/8", "192.168.1.0/25", "2001:db8::1", "::ffff:0.0.0.0/96"}
	version, err := sandbox.Fail2banVersion()
	if err != nil {
		t.Fatal(err)
	}
	if sandbox.Fail2banAtLeast11(version) {
		want[0] = "::ffff:203.0.113.7/128" // 1.1 keeps the mask
	}
	if !slices.Equal(slices.Sorted(slices.Values(printed)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("server prints %q, want %q (any order)", printed, want)
	}

	only := func(jail string, ip string) Options {
		o := opts(plugin.Warning, ip)
		o.Jails = []string{jail}
		return o
	}
	expect(t, both(t, f, only("forms", "203.0.113.7")), plugin.OK, "203.0.113.7 not banned and whitelisted in all 1 jails checked",
		"forms: 203.0.113.7 whitelisted by 0.0.0.0 (fail2ban's print of 0.0.0.0/0: every IPv4 address)")
	expect(t, both(t, f, only("forms", "127.0.0.3")), plugin.OK, "127.0.0.3 not banned", "whitelisted by 0.0.0.0")
	expect(t, both(t, f, only("mapped", "203.0.113.7")), plugin.Warning, "203.0.113.7 is not whitelisted in mapped")
	expect(t, both(t, f, only("everyone", "203.0.113.7")), plugin.OK, "203.0.113.7 not banned and whitelisted in all 1 jails checked")
	expect(t, both(t, f, only("everyone", "2001:db8::7")), plugin.Warning, "2001:db8::7 is not whitelisted in everyone")

	// What the server does with real failed logins from 203.0.113.7.
	if err := f.DovecotFailures("203.0.113.7", 4); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitBanned("mapped", "203.0.113.7", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitIgnored("everyone", "203.0.113.7", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if f.Logged("[everyone] Ban 203.0.113.7") || f.Logged("[forms] Ban 203.0.113.7") {
		t.Fatal("the server banned 203.0.113.7 in a jail whose ignoreip covers every IPv4 address")
	}
	expect(t, both(t, f, only("mapped", "203.0.113.7")), plugin.Critical, "203.0.113.7 is banned in mapped",
		"fail2ban-client set mapped unbanip 203.0.113.7")
	expect(t, both(t, f, only("everyone", "203.0.113.7")), plugin.OK, "203.0.113.7 not banned and whitelisted in all 1 jails checked")
}
