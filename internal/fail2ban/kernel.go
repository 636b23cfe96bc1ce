package fail2ban

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/netfilter"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// DefaultKernelPorts are the TCP ports the stock mail jails ban on
// (dovecot: pop3, pop3s, imap, imaps, submission, 465, sieve; postfix:
// smtp, 465, submission): the kernel's verdict for a trusted IP is asked
// on each for a jail whose own ports (kernel_ports.go) were not read.
var DefaultKernelPorts = []uint16{25, 465, 587, 110, 995, 143, 993, 4190}

// KernelOptions says whether and how the kernel's ruleset is read.
type KernelOptions struct {
	Mode    string   // auto, require, skip ("" = skip)
	Ports   []uint16 // --kernel-port; default: each jail's own ports
	ProcNet string   // /proc/net; tests point it at a namespace's
}

// gatherKernel reads the live ruleset, through sudo -n with --sudo.
func gatherKernel(ctx context.Context, host remote.Host, o Options) netfilter.Gathered {
	mode := o.Kernel.Mode
	if mode == "" {
		mode = netfilter.ModeSkip
	}
	return netfilter.ReadForMode(ctx, host, mode, netfilter.OptionsFor(o.Sudo, o.Kernel.ProcNet))
}

// evaluateKernel adds the kernel's verdict for each trusted IP on the
// mail ports: refused while fail2ban lists no ban is CRITICAL (a ban rule
// fail2ban no longer tracks), listed as banned while the kernel lets it
// through is a WARNING saying what it is (the ban rules are gone).
func evaluateKernel(r *plugin.Result, g netfilter.Gathered, mode string, ports []uint16, f Facts) {
	switch {
	case mode == "" || mode == netfilter.ModeSkip:
		return
	case g.Err != nil:
		r.AddLeading(plugin.Unknown, g.Err.Error(), netfilter.KernelFix)
		return
	case g.Ruleset == nil:
		r.Detailf("the kernel's ruleset was not read: %s; judged from fail2ban's ban list alone", g.NotRead)
		return
	}
	plan := planKernelPorts(r, ports, f.Jails)
	// One Judger: what every IP's and port's question shares (source
	// indexes of long ban chains) is built once.
	judge := netfilter.NewJudger(g.Ruleset)
	for _, t := range f.Targets {
		if t.Addr.IsValid() {
			kernelTarget(r, judge, plan, t.Addr, bannedIn(f.Jails, t.Addr))
		}
	}
	if g.Ruleset.LegacyNotRead != "" {
		r.Detailf("kernel: %s; judged from nftables alone", g.Ruleset.LegacyNotRead)
	}
}

func bannedIn(jails []JailState, a netip.Addr) []string {
	var names []string
	for _, j := range jails {
		if j.Err == nil && findBan(j.Bans, a) != nil {
			names = append(names, j.Name)
		}
	}
	return names
}

// kernelTarget judges one IP on every port and words the outcome.
func kernelTarget(r *plugin.Result, judge *netfilter.Judger, plan kernelPlan, a netip.Addr, jails []string) {
	refusedBy := map[netfilter.RuleRef][]uint16{}
	var order []netfilter.RuleRef
	var accepted []uint16
	var closed []uint16
	undecided := undecidedRules{ports: map[netfilter.RuleRef][]uint16{}, why: map[netfilter.RuleRef]string{}}
	for _, port := range plan.Ports {
		v := judge.Judge(netfilter.Query{IPv6: a.Is6(), Source: netip.PrefixFrom(a, a.BitLen()), Port: port})
		if v.Outcome == netfilter.Refused && closedForAll(judge, a, port) {
			closed = append(closed, port) // not this IP's ban: the port is closed
			continue
		}
		switch v.Outcome {
		case netfilter.Accepted:
			accepted = append(accepted, port)
		case netfilter.CannotTell:
			undecided.add(v, port)
		default:
			if _, ok := refusedBy[v.Rule]; !ok {
				order = append(order, v.Rule)
			}
			refusedBy[v.Rule] = append(refusedBy[v.Rule], port)
		}
	}
	if len(closed) > 0 {
		r.Debugf("kernel: %s closed for every source (not a ban)", portList(closed))
	}
	for _, rule := range undecided.order {
		r.AddLeading(plugin.Warning, fmt.Sprintf("cannot tell whether the kernel lets %s through on %s: %s (%s)",
			a, plan.portsOfJails(undecided.ports[rule]), rule, undecided.why[rule]), "")
	}
	var untracked []uint16
	for _, rule := range order {
		ps := plan.portsOfJails(refusedBy[rule])
		if len(jails) > 0 {
			r.Detailf("kernel: %s is refused on %s by %s (fail2ban's ban)", a, ps, rule)
			continue
		}
		r.Add(plugin.Critical, fmt.Sprintf("%s is refused on %s by %s that fail2ban no longer tracks (it lists no ban for %s)", a, ps, rule, a), kernelFix(rule, a, refusedBy[rule][0]))
		untracked = append(untracked, refusedBy[rule]...)
	}
	if len(untracked) > 0 {
		r.Summary = prefixSummary(fmt.Sprintf("%s is refused by the kernel on %s by rules fail2ban no longer tracks", a, plan.portsOfJails(untracked)), r.Summary)
	}
	if len(jails) > 0 && len(order) == 0 && len(accepted) > 0 {
		r.Add(plugin.Warning, fmt.Sprintf("fail2ban lists %s as banned in %s, but the kernel lets it through on %s: the ban rules are gone (firewalld reloaded, or the banaction's table flushed), so it is served now and these bans do not work",
			a, plugin.Join(jails), plan.portsOfJails(accepted)), reapplyFix(jails, a))
	}
}

// undecidedRules are the rules the judge could not decide for one IP, with
// the ports each left undecided (one finding per rule, not per port).
type undecidedRules struct {
	order []netfilter.RuleRef
	ports map[netfilter.RuleRef][]uint16
	why   map[netfilter.RuleRef]string
}

func (u *undecidedRules) add(v netfilter.Verdict, port uint16) {
	if _, seen := u.ports[v.Rule]; !seen {
		u.order = append(u.order, v.Rule)
		u.why[v.Rule] = v.Why
	}
	u.ports[v.Rule] = append(u.ports[v.Rule], port)
}

// reapplyFix brings lost ban rules back: a plain `fail2ban-client reload`
// does not (fail2ban 1.0 keeps the jail and its action running, and the
// action does not notice its table is gone); restarting the jail sets its
// banaction up again and re-bans from fail2ban's database.
func reapplyFix(jails []string, a netip.Addr) string {
	restarts := make([]string, len(jails))
	for i, j := range jails {
		restarts[i] = "fail2ban-client reload --restart " + j
	}
	return fmt.Sprintf("%s (restarts the jail: its banaction is set up again and the bans come back from fail2ban's database), or unban it: fail2ban-client set %s unbanip %s", strings.Join(restarts, " && "), jails[0], a)
}

func prefixSummary(first, rest string) string {
	if rest == "" {
		return first
	}
	return first + "; " + rest
}

// closedForAll: the port is refused for every source of a's family (a
// closed port, not a ban on a).
func closedForAll(judge *netfilter.Judger, a netip.Addr, port uint16) bool {
	anySource := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	if a.Is6() {
		anySource = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	return judge.Judge(netfilter.Query{IPv6: a.Is6(), Source: anySource, Port: port}).Outcome == netfilter.Refused
}

// kernelFix: a rich rule in firewalld's table is removed through
// firewall-cmd, anything else as netfilter words it.
func kernelFix(rule netfilter.RuleRef, a netip.Addr, port uint16) string {
	if name := ipsetMatched(rule.Text); name != "" {
		// fail2ban's iptables-ipset banactions: the ban is the entry.
		return fmt.Sprintf("ipset del %s %s", name, a)
	}
	if rule.FirewalldOwned() {
		return fmt.Sprintf("firewall-cmd --list-rich-rules shows the rule naming %s; firewall-cmd --remove-rich-rule='THAT RULE' removes it (also with --permanent if it is there)", a)
	}
	return rule.Fix(a, port)
}

func portList(ports []uint16) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprintf("%d/tcp", p)
	}
	return strings.Join(parts, ", ")
}

// ipsetMatched is the ipset an iptables rule matches by source ("" when
// none).
func ipsetMatched(text string) string {
	f := strings.Fields(text)
	for i := 0; i+2 < len(f); i++ {
		if f[i] == "--match-set" && f[i+2] == "src" {
			return f[i+1]
		}
	}
	return ""
}
