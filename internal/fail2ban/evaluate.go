package fail2ban

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// Target is one IP to check and where it came from.
type Target struct {
	Addr netip.Addr
	From string // "" for --ip, else the --ip-from-dns name it resolved from
}

// NameLookup is one --ip-from-dns name and what it resolved to.
type NameLookup struct {
	Name  string
	Addrs []netip.Addr
	Err   error
}

// Facts is everything gather learned; Evaluate needs nothing else.
type Facts struct {
	Source       string // "socket /path" or "fail2ban-client (...)"
	Via          string // remote.Host.Where(): "local", "via SSH root@mail:22"
	Targets      []Target
	Lookups      []NameLookup
	ServerJails  []string // every jail the server runs
	MissingJails []string // jails asked for with --jail that the server does not run
	Selected     []string // the jails whose state was asked for; each must be in Jails
	Jails        []JailState
	Resolved     map[string]Resolution // DNS names found in ignoreip
	SelfIPs      []netip.Addr          // for ignoreself
	SelfTimedOut bool                  // resolving the mail host's own names did not finish
	Server       ServerInfo            // version, database file, log target
	ServerErr    error                 // asking for Server failed
	Causes       map[string]BanCause   // causeKey(jail, ip) -> when and why it was banned
	CauseNote    string                // one line: why some ban's cause is not shown
	CauseSkipped string                // why the log stood in for the database (-v)
	Now          time.Time
}

// Config is the judgement the operator chose.
type Config struct {
	Unlisted plugin.State // state when an IP is not (verifiably) whitelisted
}

// verdict is one target in one readable jail.
type verdict struct {
	jail     string
	ban      *Ban
	coverage Coverage
}

// Evaluate judges the facts. It is pure: no I/O, no clock (Facts.Now).
func Evaluate(f Facts, cfg Config) plugin.Result {
	var r plugin.Result
	r.Debugf("source: %s (%s)", f.Source, f.Via)
	var unknownTexts []string
	addUnknown := func(text, fix string) {
		r.Add(plugin.Unknown, text, fix)
		unknownTexts = append(unknownTexts, text)
	}

	for _, l := range f.Lookups {
		if l.Err != nil || len(l.Addrs) == 0 {
			why := "no A or AAAA record"
			if l.Err != nil {
				why = l.Err.Error()
			}
			addUnknown(fmt.Sprintf("%s does not resolve (%s): cannot tell which IP to check", l.Name, why),
				fmt.Sprintf("check the name (getent ahosts %s) or pass the address with --ip", l.Name))
			continue
		}
		r.Detailf("%s resolves to %s", l.Name, joinAddrs(l.Addrs))
	}
	for _, m := range f.MissingJails {
		addUnknown(fmt.Sprintf("jail %s does not exist on this fail2ban (it runs: %s)", m, orNone(f.ServerJails)),
			"fail2ban-client status (lists the jails); correct --jail")
	}

	for _, t := range f.Targets {
		if !t.Addr.IsValid() {
			addUnknown("an IP to check was not gathered", "pass --ip with an IPv4 or IPv6 address")
		}
	}
	// A jail asked about must have been read: a source that returns fewer
	// jails than it was asked for must not turn into "whitelisted in all".
	for _, name := range f.Selected {
		if !slices.ContainsFunc(f.Jails, func(j JailState) bool { return j.Name == name }) {
			addUnknown(fmt.Sprintf("jail %s was listed by the server but its state was not read", name), "run the check again; check fail2ban's log if it persists")
		}
	}

	var readable []JailState
	for _, j := range f.Jails {
		if j.Err != nil {
			if se, ok := j.Err.(*ServerError); ok && se.UnknownJail() {
				addUnknown(fmt.Sprintf("jail %s vanished while checking (reload in progress?)", j.Name), "run the check again")
			} else {
				addUnknown(fmt.Sprintf("could not read jail %s: %v", j.Name, j.Err), FixFor(j.Err))
			}
			continue
		}
		readable = append(readable, j)
	}
	overriders := overridingJails(readable)

	totalBans := 0
	for _, j := range readable {
		totalBans += j.BanCount
	}
	banning, notListed := map[string]bool{}, map[string]bool{}
	var critTexts, listTexts []string

	for _, t := range f.Targets {
		var bannedIn, unlisted, unjudged, untimely []verdict
		coveredBy := map[string]string{}
		for _, j := range readable {
			v := verdict{jail: j.Name, ban: findBan(j.Bans, t.Addr), coverage: Match(t.Addr, j, f.Resolved, f.SelfIPs)}
			if !v.coverage.Covered && j.IgnoreSelf && f.SelfTimedOut {
				v.coverage.TimedOut = append(v.coverage.TimedOut, "the mail host's own names (ignoreself)")
			}
			if v.ban != nil {
				bannedIn = append(bannedIn, v)
				banning[j.Name] = true
			}
			switch {
			case v.coverage.Covered:
				coveredBy[j.Name] = v.coverage.By
			case len(v.coverage.TimedOut) > 0:
				untimely = append(untimely, v)
			case len(v.coverage.Unjudged) > 0:
				unjudged = append(unjudged, v)
				notListed[j.Name] = true
			default:
				unlisted = append(unlisted, v)
				notListed[j.Name] = true
			}
		}
		ip := t.Addr.String()
		label := ip
		if t.From != "" {
			label = ip + " (" + t.From + ")"
		}

		var parts []string
		for _, v := range bannedIn {
			left := timeLeft(*v.ban, f.Now)
			cause, ok := f.Causes[causeKey(v.jail, v.ban.ID)]
			text, details := bannedText(label, v.jail, left, cause, ok, f.Now)
			r.Add(plugin.Critical, text, fmt.Sprintf("fail2ban-client set %s unbanip %s", v.jail, ip))
			for _, d := range details {
				r.Detailf("%s", d)
			}
			parts = append(parts, v.jail+left)
		}
		if len(parts) > 0 {
			critTexts = append(critTexts, fmt.Sprintf("%s is banned in %s", label, plugin.Join(parts)))
		}

		if len(unlisted) > 0 {
			text := fmt.Sprintf("%s is not whitelisted in %s: its next failed logins can ban it again", label, plugin.Join(jailNames(unlisted)))
			if dead := unresolvedNames(unlisted); len(dead) > 0 {
				text += fmt.Sprintf(" (ignoreip names that do not resolve now: %s)", strings.Join(dead, ", "))
			}
			r.Add(cfg.Unlisted, text, lastingFix(t, overriders))
			listTexts = append(listTexts, fmt.Sprintf("%s is not whitelisted in %s", label, plugin.Join(jailNames(unlisted))))
		}
		for _, v := range unjudged {
			text := fmt.Sprintf("cannot verify that %s is whitelisted in %s: it depends on %s, which this check cannot evaluate",
				label, v.jail, strings.Join(v.coverage.Unjudged, " and "))
			r.Add(cfg.Unlisted, text, lastingFix(t, overriders))
			listTexts = append(listTexts, fmt.Sprintf("%s is not verifiably whitelisted in %s", label, v.jail))
		}
		for _, v := range untimely {
			name := v.coverage.TimedOut[0]
			if strings.HasPrefix(name, "the mail host") {
				name = "$(uname -n)"
			}
			addUnknown(fmt.Sprintf("cannot tell whether %s is whitelisted in %s: resolving %s did not finish in time",
				label, v.jail, strings.Join(v.coverage.TimedOut, " and ")),
				"check the mail host's resolver (getent ahosts "+name+"), or raise -t")
		}
		if len(bannedIn) == 0 && len(unlisted) == 0 && len(unjudged) == 0 && len(untimely) == 0 && len(readable) > 0 {
			r.Addf(plugin.OK, "%s is not banned and is whitelisted in all %d jails", label, len(readable))
		}
		for _, j := range readable {
			if by, ok := coveredBy[j.Name]; ok {
				r.Debugf("%s: %s whitelisted by %s", j.Name, ip, by)
			}
		}
	}
	if f.CauseNote != "" && len(banning) > 0 {
		r.Detailf("%s", f.CauseNote)
	}
	if f.CauseSkipped != "" {
		r.Debugf("%s", f.CauseSkipped)
	}
	for _, name := range sortedKeys(f.Resolved) {
		if res := f.Resolved[name]; res.Err == nil {
			r.Debugf("ignoreip name %s resolves to %s", name, joinAddrs(res.Addrs))
		} else {
			r.Debugf("ignoreip name %s: %v", name, res.Err)
		}
	}

	if len(f.Targets) == 0 && len(r.Findings) == 0 {
		addUnknown("no IP to check", "pass --ip or --ip-from-dns")
	}
	if len(readable) == 0 && len(f.Targets) > 0 && len(unknownTexts) == 0 {
		addUnknown("no jail to check (fail2ban runs none, or all were excluded)", "fail2ban-client status; check --jail/--exclude-jail")
	}

	switch r.State() {
	case plugin.Critical:
		r.Summary = strings.Join(critTexts, "; ")
		if len(critTexts) == 0 { // critical chosen for --unlisted
			r.Summary = strings.Join(listTexts, "; ")
		}
	case plugin.Unknown:
		r.Summary = strings.Join(unknownTexts, "; ")
	case plugin.Warning:
		r.Summary = strings.Join(listTexts, "; ")
	default:
		r.Summary = fmt.Sprintf("%s not banned and whitelisted in all %d jails checked", ipList(f.Targets), len(readable))
		if len(listTexts) > 0 { // --unlisted=ok: say so rather than claim a whitelist
			r.Summary = fmt.Sprintf("%s not banned in any of %d jails checked (%s; --unlisted=ok)", ipList(f.Targets), len(readable), strings.Join(listTexts, "; "))
		}
	}

	unlistedWarn, unlistedCrit := "", ""
	switch cfg.Unlisted {
	case plugin.Warning:
		unlistedWarn = "0"
	case plugin.Critical:
		unlistedCrit = "0"
	}
	r.Count("jails_checked", len(readable), "", "")
	r.Count("jails_banning", len(banning), "", "0")
	r.Count("jails_not_whitelisting", len(notListed), unlistedWarn, unlistedCrit)
	r.Count("banned_ips", totalBans, "", "")
	return r
}

func findBan(bans []Ban, ip netip.Addr) *Ban {
	ip = ip.Unmap()
	for i := range bans {
		if bans[i].Addr == ip || bans[i].ID == ip.String() {
			return &bans[i]
		}
	}
	return nil
}

// overrides is which jails set their own ignoreip. The runtime does not say
// where a value came from, but a jail without its own setting inherits
// [DEFAULT]'s, so the most common list is [DEFAULT]'s and every jail whose
// list differs has its own. When no list is the most common (two jails, two
// lists) that guess is impossible and Ambiguous lists every jail instead.
type overrides struct {
	Jails     []string
	Ambiguous []string
}

func overridingJails(jails []JailState) overrides {
	if len(jails) < 2 {
		return overrides{}
	}
	count := map[string]int{}
	key := func(j JailState) string {
		l := append([]string(nil), j.IgnoreIP...)
		sort.Strings(l)
		return strings.Join(l, "\x00")
	}
	for _, j := range jails {
		count[key(j)]++
	}
	if len(count) == 1 {
		return overrides{}
	}
	best, bestN, tie := "", 0, false
	for _, j := range jails {
		switch n := count[key(j)]; {
		case n > bestN:
			best, bestN, tie = key(j), n, false
		case n == bestN && key(j) != best:
			tie = true
		}
	}
	var o overrides
	for _, j := range jails {
		if tie {
			o.Ambiguous = append(o.Ambiguous, j.Name)
		} else if key(j) != best {
			o.Jails = append(o.Jails, j.Name)
		}
	}
	return o
}

// lastingFix is the ignoreip edit that survives unban, restart and reload.
func lastingFix(t Target, o overrides) string {
	entry := t.Addr.String()
	if t.From != "" {
		// fail2ban resolves names in ignoreip itself, which follows a
		// dynamic egress IP; the address alone would go stale.
		entry = t.From
	}
	// Without a detectable override, a jail may still set its own list
	// identical to [DEFAULT]'s today; the edit must cover it too.
	where := "[DEFAULT] and under any jail section that sets its own ignoreip"
	switch {
	case len(o.Jails) > 0:
		secs := make([]string, len(o.Jails))
		for i, j := range o.Jails {
			secs[i] = "[" + j + "]"
		}
		where = "[DEFAULT] and under " + plugin.Join(secs) + " (a jail's own ignoreip replaces [DEFAULT]'s)"
	case len(o.Ambiguous) > 0:
		where = "[DEFAULT] and under each of " + plugin.Join(o.Ambiguous) + " that sets its own ignoreip (their lists differ)"
	}
	return fmt.Sprintf("add %s to `ignoreip =` in /etc/fail2ban/jail.local under %s, then: fail2ban-client reload", entry, where)
}

func jailNames(vs []verdict) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.jail
	}
	return out
}

func unresolvedNames(vs []verdict) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		for _, n := range v.coverage.Unresolved {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func ipList(ts []Target) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.Addr.String()
	}
	return plugin.Join(s)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no jails"
	}
	return strings.Join(s, ", ")
}

func sortedKeys(m map[string]Resolution) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
