package fail2ban

import (
	"context"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// These tests run against a real fail2ban-server (internal/sandbox): jails
// dovecot and postfix-sasl inherit [DEFAULT]'s ignoreip; recidive sets its
// own (which replaces [DEFAULT]'s) and whitelists the name "localhost" with
// ignoreself off, so a DNS entry is what covers 127.0.0.1 there.
const realDefaultIgnore = "127.0.0.1/8 ::1 198.51.100.0/24 2001:db8:1::/64 no-such-host.invalid"

func startReal(t *testing.T, jails ...sandbox.Fail2banJail) *sandbox.Fail2ban {
	t.Helper()
	f, err := sandbox.StartFail2ban(t.TempDir(), realDefaultIgnore, jails...)
	if err != nil {
		t.Fatalf("cannot start the real fail2ban (never skipped; `make deps` installs it): %v", err)
	}
	t.Cleanup(f.Stop)
	return f
}

var mailJails = []sandbox.Fail2banJail{
	{Name: "dovecot"},
	{Name: "postfix-sasl"},
	{Name: "recidive", IgnoreIP: "198.51.100.0/24 localhost", Extra: "ignoreself = false"},
}

// both runs the check with the native socket backend and with
// fail2ban-client, asserts they agree, and returns the native result.
func both(t *testing.T, f *sandbox.Fail2ban, o Options) plugin.Result {
	t.Helper()
	o.Socket, o.ClientPath = f.Socket, "/usr/bin/fail2ban-client"
	// Each backend gets its own generous deadline: two Python starts on a
	// loaded CI machine must not turn into a flaky "stalled".
	run := func(backend string) plugin.Result {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		o.Backend = backend
		return Check(ctx, remote.Local{}, o)
	}
	native, client := run("socket"), run("client")
	if native.State() != client.State() || native.Summary != client.Summary ||
		!reflect.DeepEqual(native.Findings, client.Findings) || !reflect.DeepEqual(native.Metrics, client.Metrics) {
		t.Fatalf("backends disagree:\nnative %v %q\n%+v\n%+v\nclient %v %q\n%+v\n%+v",
			native.State(), native.Summary, native.Findings, native.Metrics,
			client.State(), client.Summary, client.Findings, client.Metrics)
	}
	return native
}

func expect(t *testing.T, r plugin.Result, state plugin.State, summary string, more ...string) {
	t.Helper()
	all := r.Summary + "\n"
	for _, f := range r.Findings {
		all += f.Text + " Fix: " + f.Fix + "\n"
	}
	all += strings.Join(r.Details, "\n") + "\n" + strings.Join(r.Debug, "\n")
	if r.State() != state || !strings.HasPrefix(r.Summary, summary) {
		t.Fatalf("got %v %q, want %v %q\n%s", r.State(), r.Summary, state, summary, all)
	}
	for _, m := range more {
		if !strings.Contains(all, m) {
			t.Errorf("missing %q in\n%s", m, all)
		}
	}
}

func opts(unlisted plugin.State, ips ...string) Options {
	return Options{IPs: ips, Unlisted: unlisted}
}

func TestRealFail2ban(t *testing.T) {
	f := startReal(t, mailJails...)
	client := func(args ...string) {
		t.Helper()
		if out, err := f.Client(args...); err != nil {
			t.Fatalf("fail2ban-client %v: %v %s", args, err, out)
		}
	}

	t.Run("ok whitelisted by cidr in every jail", func(t *testing.T) {
		r := both(t, f, opts(plugin.Warning, "198.51.100.20"))
		expect(t, r, plugin.OK, "198.51.100.20 not banned and whitelisted in all 3 jails checked")
		if metric(r, "jails_checked") != 3 || metric(r, "banned_ips") != 0 {
			t.Errorf("metrics %+v", r.Metrics)
		}
	})
	t.Run("dns name in a jail's ignoreip", func(t *testing.T) {
		r := both(t, f, opts(plugin.Warning, "127.0.0.1"))
		expect(t, r, plugin.OK, "127.0.0.1 not banned", "recidive: 127.0.0.1 whitelisted by localhost (resolves to 127.0.0.1)")
	})
	t.Run("ip from dns", func(t *testing.T) {
		// What localhost resolves to is the host's business (127.0.0.1 only
		// here; ::1 too on a stock Debian): each address it gives is checked.
		addrs, err := net.LookupHost("localhost")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"localhost resolves to "}
		for _, a := range addrs {
			want = append(want, a+" (localhost) is not banned and is whitelisted in all 3 jails")
		}
		r := both(t, f, Options{IPFromDNS: []string{"localhost"}, Unlisted: plugin.Warning})
		expect(t, r, plugin.OK, "", want...)
	})
	t.Run("jail with its own ignoreip misses an ipv6 cidr", func(t *testing.T) {
		r := both(t, f, opts(plugin.Warning, "2001:db8:1::5"))
		expect(t, r, plugin.Warning, "2001:db8:1::5 is not whitelisted in recidive",
			"add 2001:db8:1::5 to `ignoreip =` in /etc/fail2ban/jail.local under [DEFAULT] and under [recidive]", "fail2ban-client reload")
		if metric(r, "jails_not_whitelisting") != 1 {
			t.Errorf("metrics %+v", r.Metrics)
		}
	})
	t.Run("exclude the overriding jail", func(t *testing.T) {
		o := opts(plugin.Warning, "2001:db8:1::5")
		o.ExcludeJails = []string{"recidive"}
		expect(t, both(t, f, o), plugin.OK, "2001:db8:1::5 not banned and whitelisted in all 2 jails checked")
	})
	t.Run("not whitelisted anywhere, unresolvable name in ignoreip", func(t *testing.T) {
		r := both(t, f, opts(plugin.Critical, "2001:db8:2::5"))
		expect(t, r, plugin.Critical, "2001:db8:2::5 is not whitelisted in dovecot, postfix-sasl and recidive",
			"ignoreip names that do not resolve now: no-such-host.invalid")
	})
	t.Run("banned by real dovecot and postfix-sasl failures", func(t *testing.T) {
		const ip = "203.0.113.7"
		if err := f.DovecotFailures(ip, 3); err != nil {
			t.Fatal(err)
		}
		if err := f.PostfixSASLFailures(ip, 3); err != nil {
			t.Fatal(err)
		}
		for _, j := range []string{"dovecot", "postfix-sasl"} {
			if err := f.WaitBanned(j, ip, 20*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		r := both(t, f, opts(plugin.Warning, ip))
		expect(t, r, plugin.Critical, "203.0.113.7 is banned in dovecot (59m left) and postfix-sasl (59m left)",
			"fail2ban-client set dovecot unbanip 203.0.113.7", "fail2ban-client set postfix-sasl unbanip 203.0.113.7",
			"203.0.113.7 is not whitelisted in dovecot, postfix-sasl and recidive")
		if metric(r, "jails_banning") != 2 || metric(r, "banned_ips") != 2 {
			t.Errorf("metrics %+v", r.Metrics)
		}

		client("set", "dovecot", "unbanip", ip)
		client("set", "postfix-sasl", "unbanip", ip)
		expect(t, both(t, f, opts(plugin.OK, ip)), plugin.OK, "203.0.113.7 not banned in any of 3 jails checked")
		expect(t, both(t, f, opts(plugin.Warning, ip)), plugin.Warning, "203.0.113.7 is not whitelisted in dovecot, postfix-sasl and recidive")
	})
	t.Run("banip and unbanip by hand, ipv6", func(t *testing.T) {
		client("set", "postfix-sasl", "banip", "2001:db8:2::9")
		r := both(t, f, opts(plugin.Warning, "2001:db8:2::9", "198.51.100.20"))
		expect(t, r, plugin.Critical, "2001:db8:2::9 is banned in postfix-sasl (59m left)",
			"fail2ban-client set postfix-sasl unbanip 2001:db8:2::9", "198.51.100.20 is not banned and is whitelisted in all 3 jails")
		client("set", "postfix-sasl", "unbanip", "2001:db8:2::9")
		if r := both(t, f, opts(plugin.OK, "2001:db8:2::9")); r.State() != plugin.OK {
			t.Fatalf("still banned after unbanip: %q", r.Summary)
		}
	})
	t.Run("ignorecommand is reported, not guessed", func(t *testing.T) {
		client("set", "dovecot", "ignorecommand", "/usr/local/bin/is-trusted <ip>")
		defer client("set", "dovecot", "ignorecommand", "")
		o := opts(plugin.Warning, "192.0.2.50")
		o.Jails = []string{"dovecot"}
		expect(t, both(t, f, o), plugin.Warning, "192.0.2.50 is not verifiably whitelisted in dovecot",
			"it depends on ignorecommand /usr/local/bin/is-trusted <ip>")
	})
	t.Run("unknown jail", func(t *testing.T) {
		o := opts(plugin.Warning, "198.51.100.20")
		o.Jails = []string{"nope", "dovecot"}
		r := both(t, f, o)
		expect(t, r, plugin.Unknown, "jail nope does not exist on this fail2ban (it runs: dovecot, postfix-sasl, recidive)")
		if metric(r, "jails_checked") != 1 {
			t.Errorf("metrics %+v", r.Metrics)
		}
	})
	t.Run("ip from dns that does not resolve", func(t *testing.T) {
		r := both(t, f, Options{IPFromDNS: []string{"no-such-host.invalid"}, Unlisted: plugin.Warning})
		expect(t, r, plugin.Unknown, "no-such-host.invalid does not resolve")
	})
}

// TestRealFail2banDown stops and crashes a real server: a stopped fail2ban
// removes its socket, a killed one leaves a socket nobody listens on.
func TestRealFail2banDown(t *testing.T) {
	f := startReal(t, sandbox.Fail2banJail{Name: "dovecot"})
	expect(t, both(t, f, opts(plugin.Warning, "198.51.100.20")), plugin.OK, "198.51.100.20 not banned")

	f.Crash()
	r := both(t, f, opts(plugin.Warning, "198.51.100.20"))
	expect(t, r, plugin.Unknown, "fail2ban socket "+f.Socket+" refuses connections", "systemctl restart fail2ban")

	g := startReal(t, sandbox.Fail2banJail{Name: "dovecot"})
	if err := g.StopCleanly(); err != nil {
		t.Fatal(err)
	}
	r = both(t, g, opts(plugin.Warning, "198.51.100.20"))
	expect(t, r, plugin.Unknown, "fail2ban socket "+g.Socket+" does not exist: is fail2ban running?", "systemctl start fail2ban")
}
