package fail2ban

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

var now = time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)

func ban(ip string, left time.Duration) Ban {
	return Ban{ID: ip, Addr: netip.MustParseAddr(ip), End: now.Add(left)}
}

func target(ip string) Target { return Target{Addr: netip.MustParseAddr(ip)} }

var defaultIgnore = []string{"127.0.0.0/8", "198.51.100.0/24", "2001:db8:1::/64"}

func jails(mod func(map[string]*JailState)) []JailState {
	m := map[string]*JailState{
		"dovecot":      {Name: "dovecot", IgnoreIP: defaultIgnore},
		"postfix-sasl": {Name: "postfix-sasl", IgnoreIP: defaultIgnore},
		"recidive":     {Name: "recidive", IgnoreIP: []string{"198.51.100.0/24"}},
	}
	if mod != nil {
		mod(m)
	}
	return []JailState{*m["dovecot"], *m["postfix-sasl"], *m["recidive"]}
}

func metric(r plugin.Result, label string) float64 {
	for _, m := range r.Metrics {
		if m.Label == label {
			return m.Value
		}
	}
	return -1
}

func TestEvaluate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		facts    Facts
		unlisted plugin.State
		state    plugin.State
		summary  string   // prefix of the first line
		texts    []string // each must appear in some finding
		fixes    []string // each must appear in some fix
		metrics  map[string]float64
	}{
		{
			name:    "ok",
			facts:   Facts{Targets: []Target{target("198.51.100.7")}, Jails: jails(nil)},
			state:   plugin.OK,
			summary: "198.51.100.7 not banned and whitelisted in all 3 jails checked",
			metrics: map[string]float64{"jails_checked": 3, "jails_banning": 0, "jails_not_whitelisting": 0, "banned_ips": 0},
		},
		{
			name: "banned in two jails",
			facts: Facts{Targets: []Target{target("203.0.113.7")}, Jails: jails(func(m map[string]*JailState) {
				m["dovecot"].Bans, m["dovecot"].BanCount = []Ban{ban("203.0.113.7", 52*time.Minute)}, 2
				m["postfix-sasl"].Bans, m["postfix-sasl"].BanCount = []Ban{ban("203.0.113.7", 59*time.Minute)}, 1
			})},
			unlisted: plugin.Warning,
			state:    plugin.Critical,
			summary:  "203.0.113.7 is banned in dovecot (52m left) and postfix-sasl (59m left)",
			texts:    []string{"203.0.113.7 is banned in dovecot (52m left)", "203.0.113.7 is not whitelisted in dovecot, postfix-sasl and recidive"},
			fixes:    []string{"fail2ban-client set dovecot unbanip 203.0.113.7", "fail2ban-client set postfix-sasl unbanip 203.0.113.7", "under [DEFAULT] and under [recidive]"},
			metrics:  map[string]float64{"jails_checked": 3, "jails_banning": 2, "jails_not_whitelisting": 3, "banned_ips": 3},
		},
		{
			name:     "jail overriding the default whitelist",
			facts:    Facts{Targets: []Target{target("2001:db8:1::5")}, Jails: jails(nil)},
			unlisted: plugin.Warning,
			state:    plugin.Warning,
			summary:  "2001:db8:1::5 is not whitelisted in recidive",
			fixes:    []string{"add 2001:db8:1::5 to `ignoreip =` in /etc/fail2ban/jail.local under [DEFAULT] and under [recidive]", "fail2ban-client reload"},
			metrics:  map[string]float64{"jails_not_whitelisting": 1},
		},
		{
			name:     "unlisted critical",
			facts:    Facts{Targets: []Target{target("192.0.2.50")}, Jails: jails(nil)},
			unlisted: plugin.Critical,
			state:    plugin.Critical,
			summary:  "192.0.2.50 is not whitelisted in dovecot, postfix-sasl and recidive",
		},
		{
			name:     "unlisted ok never claims a whitelist",
			facts:    Facts{Targets: []Target{target("192.0.2.50")}, Jails: jails(nil)},
			unlisted: plugin.OK,
			state:    plugin.OK,
			summary:  "192.0.2.50 not banned in any of 3 jails checked (192.0.2.50 is not whitelisted in",
		},
		{
			name: "ignorecommand cannot be judged",
			facts: Facts{Targets: []Target{target("192.0.2.50")}, Jails: jails(func(m map[string]*JailState) {
				m["dovecot"].IgnoreIP = []string{"192.0.2.0/24"}
				m["postfix-sasl"].IgnoreIP = []string{"192.0.2.0/24"}
				m["recidive"].IgnoreCommand = "/usr/local/bin/is-trusted <ip>"
			})},
			unlisted: plugin.Warning,
			state:    plugin.Warning,
			summary:  "192.0.2.50 is not verifiably whitelisted in recidive",
			texts:    []string{"it depends on ignorecommand /usr/local/bin/is-trusted <ip>"},
		},
		{
			name: "dns name in ignoreip, and one that does not resolve",
			facts: Facts{Targets: []Target{{Addr: netip.MustParseAddr("203.0.113.7"), From: "office.example.org"}},
				Lookups: []NameLookup{{Name: "office.example.org", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.7")}}},
				Jails: jails(func(m map[string]*JailState) {
					m["dovecot"].IgnoreIP = []string{"office.example.org"}
					m["postfix-sasl"].IgnoreIP = []string{"office.example.org"}
					m["recidive"].IgnoreIP = []string{"stale.example.org"}
				}),
				Resolved: map[string]Resolution{
					"office.example.org": {Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.7")}},
					"stale.example.org":  {Err: errors.New("no such host")},
				}},
			unlisted: plugin.Warning,
			state:    plugin.Warning,
			summary:  "203.0.113.7 (office.example.org) is not whitelisted in recidive",
			texts:    []string{"ignoreip names that do not resolve now: stale.example.org"},
			// the name, not the address: it follows a dynamic IP
			fixes: []string{"add office.example.org to `ignoreip =`"},
		},
		{
			name: "name given to check does not resolve",
			facts: Facts{Lookups: []NameLookup{{Name: "no-such-host.invalid", Err: errors.New("no such host")}},
				Jails: jails(nil)},
			state:   plugin.Unknown,
			summary: "no-such-host.invalid does not resolve",
		},
		{
			name:    "unknown jail",
			facts:   Facts{Targets: []Target{target("198.51.100.7")}, ServerJails: []string{"dovecot"}, MissingJails: []string{"nope"}, Jails: jails(nil)[:1]},
			state:   plugin.Unknown,
			summary: "jail nope does not exist on this fail2ban (it runs: dovecot)",
		},
		{
			name: "jail that vanished is not whitelisted",
			facts: Facts{Targets: []Target{target("198.51.100.7")}, Jails: jails(func(m map[string]*JailState) {
				m["recidive"].Err = &ServerError{Class: "fail2ban.exceptions.UnknownJailException", Message: "recidive"}
			})},
			state:   plugin.Unknown,
			summary: "jail recidive vanished",
			metrics: map[string]float64{"jails_checked": 2},
		},
		{
			name:    "no jails",
			facts:   Facts{Targets: []Target{target("198.51.100.7")}},
			state:   plugin.Unknown,
			summary: "no jail to check",
		},
		{
			name: "permanent ban",
			facts: Facts{Targets: []Target{target("198.51.100.7")}, Jails: jails(func(m map[string]*JailState) {
				m["recidive"].Bans = []Ban{{ID: "198.51.100.7", Addr: netip.MustParseAddr("198.51.100.7"), Permanent: true}}
			})},
			state:   plugin.Critical,
			summary: "198.51.100.7 is banned in recidive (permanent ban)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.facts.Now = now
			r := Evaluate(tc.facts, Config{Unlisted: tc.unlisted})
			if r.State() != tc.state || !strings.HasPrefix(r.Summary, tc.summary) {
				t.Fatalf("got %v %q, want %v %q\n%+v", r.State(), r.Summary, tc.state, tc.summary, r.Findings)
			}
			var texts, fixes strings.Builder
			for _, f := range r.Findings {
				texts.WriteString(f.Text + "\n")
				fixes.WriteString(f.Fix + "\n")
			}
			for _, want := range tc.texts {
				if !strings.Contains(texts.String(), want) {
					t.Errorf("no finding %q in\n%s", want, texts.String())
				}
			}
			for _, want := range tc.fixes {
				if !strings.Contains(fixes.String(), want) {
					t.Errorf("no fix %q in\n%s", want, fixes.String())
				}
			}
			for label, want := range tc.metrics {
				if got := metric(r, label); got != want {
					t.Errorf("%s = %v, want %v", label, got, want)
				}
			}
		})
	}
}

func TestOverridingJailsTie(t *testing.T) {
	two := []JailState{{Name: "a", IgnoreIP: []string{"10.0.0.0/8"}}, {Name: "b", IgnoreIP: []string{"192.0.2.0/24"}}}
	o := overridingJails(two)
	if len(o.Jails) != 0 || len(o.Ambiguous) != 2 {
		t.Fatalf("%+v", o)
	}
	if fix := lastingFix(target("192.0.2.1"), o); !strings.Contains(fix, "under each of a and b that sets its own ignoreip") {
		t.Fatal(fix)
	}
}
