package fail2ban

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The fixtures were captured from fail2ban-client 1.0.2 against a real
// server (testdata/README.md).
func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseStatusFixture(t *testing.T) {
	names, err := parseStatus(fixture(t, "client-status.txt"))
	if err != nil || !reflect.DeepEqual(names, []string{"dovecot", "postfix-sasl", "recidive"}) {
		t.Fatalf("%v %v", names, err)
	}
	if _, err := parseStatus("Sorry but the command is invalid\n"); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestParseInteractiveFixture(t *testing.T) {
	jails := []string{"dovecot", "postfix-sasl", "recidive", "nope"}
	answers, err := splitInteractive(fixture(t, "client-interactive.txt"), perJail*len(jails)+len(serverCommands))
	if err != nil {
		t.Fatal(err)
	}
	ips := []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("198.51.100.7")}
	var st []JailState
	for i, n := range jails {
		st = append(st, parseJailAnswers(n, answers[i*perJail:i*perJail+perJail], ips))
	}
	dov, pf, rec, nope := st[0], st[1], st[2], st[3]
	if dov.Err != nil || len(dov.Bans) != 1 || dov.Bans[0].Addr != ips[0] || dov.BanCount != 1 {
		t.Errorf("dovecot bans: %+v", dov)
	}
	info := parseServerAnswers(answers[len(jails)*perJail:])
	if info.Version != "1.0.2" || info.DBFile != ":memory:" || !strings.HasSuffix(info.LogTarget, "/fail2ban.log") {
		t.Errorf("server: %+v", info)
	}
	list := strings.Split(strings.TrimSpace(strings.Split(fixture(t, "client-banlist.txt"), prompt)[1]), "\n")
	withEnd := withEndTimes(pf.Bans, list, time.UTC)
	if len(withEnd) != 1 || withEnd[0].End.IsZero() {
		t.Errorf("end times from the ban list: %+v", withEnd)
	}
	wantIgnore := []string{"127.0.0.0/8", "198.51.100.0/24", "2001:db8:1::/64", "no-such-host.invalid", "::1"}
	if !reflect.DeepEqual(dov.IgnoreIP, wantIgnore) || !dov.IgnoreSelf || dov.IgnoreCommand != "" {
		t.Errorf("dovecot ignore: %+v", dov)
	}
	if len(pf.Bans) != 1 || pf.BanCount != 2 {
		t.Errorf("postfix-sasl bans: %+v", pf)
	}
	if len(rec.Bans) != 0 || !reflect.DeepEqual(rec.IgnoreIP, []string{"198.51.100.0/24", "localhost"}) || rec.IgnoreSelf {
		t.Errorf("recidive: %+v", rec)
	}
	if se, ok := nope.Err.(*ServerError); !ok || !se.UnknownJail() {
		t.Errorf("nope: %+v", nope)
	}
	if _, err := splitInteractive(fixture(t, "client-interactive.txt"), 40); err == nil {
		t.Error("too few answers accepted")
	}
}

func TestClassifyClientStderrFixtures(t *testing.T) {
	c := &ClientSource{Path: "/usr/bin/fail2ban-client", Socket: "/var/run/fail2ban/fail2ban.sock"}
	if err := c.classifyStderr(fixture(t, "client-permission.stderr")); KindOf(err) != KindPermission || FixFor(err) == "" {
		t.Errorf("permission: %v", err)
	}
	if err := c.classifyStderr(fixture(t, "client-missing.stderr")); KindOf(err) != KindMissing {
		t.Errorf("missing: %v", err)
	}
	if err := c.classifyStderr("sudo: a password is required\n"); KindOf(err) != KindPermission {
		t.Errorf("sudo: %v", err)
	}
	if err := c.classifyStderr(""); err != nil {
		t.Errorf("clean stderr: %v", err)
	}
}

func TestShellQuote(t *testing.T) {
	if got := shellQuoteAll([]string{"get", "my jail's", "banip", "--with-time"}); got != `get 'my jail'"'"'s' banip --with-time` {
		t.Fatal(got)
	}
}
