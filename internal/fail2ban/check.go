package fail2ban

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// Options is the check's configuration, converted from the command line.
type Options struct {
	Backend      string // "socket" (default) or "client"
	Socket       string
	ClientPath   string
	Sudo         bool
	IPs          []string
	IPFromDNS    []string
	Jails        []string
	ExcludeJails []string
	Unlisted     plugin.State
	Kernel       KernelOptions // the kernel's verdict (kernel.go)

	// Resolver resolves the DNS names of --ip-from-dns and ignoreip as the
	// mail host does. nil: Go's resolver for a local host, `getent ahosts`
	// run through the host for a remote one (fail2ban resolves with the mail
	// host's /etc/hosts and DNS, not the monitoring server's).
	Resolver Resolver
	// For tests: a clock. nil means time.Now.
	Now func() time.Time
}

// Resolver resolves names the way the host does (/etc/hosts, then DNS).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Check gathers from host, evaluates and returns the result. Gathering
// failures that leave nothing to judge are UNKNOWN with their fix.
func Check(ctx context.Context, host remote.Host, o Options) plugin.Result {
	facts, err := Gather(ctx, host, o)
	if err != nil {
		return plugin.UnknownResult(err, FixFor(err))
	}
	return Evaluate(facts, Config{Unlisted: o.Unlisted})
}

// NewSource builds the backend the options ask for, reading through host.
func NewSource(host remote.Host, o Options) (Source, error) {
	switch o.Backend {
	case "", "socket":
		return &SocketSource{Host: host, Path: o.Socket, ClientPath: o.ClientPath}, nil
	case "client":
		return &ClientSource{Host: host, Path: o.ClientPath, Socket: o.Socket, Sudo: o.Sudo}, nil
	}
	return nil, fmt.Errorf("unknown backend %q (want socket or client)", o.Backend)
}

// Gather collects the facts: targets, jail states, and the resolution of
// every DNS name those jails whitelist. Everything about the mail host is
// read through host (remote.Local{} on the mail host itself), so a local and
// a remote run judge the same facts.
func Gather(ctx context.Context, host remote.Host, o Options) (Facts, error) {
	src, err := NewSource(host, o)
	if err != nil {
		return Facts{}, err
	}
	return GatherFrom(ctx, host, src, o)
}

// GatherFrom is Gather with the backend chosen by the caller (a remote mode
// that falls back from the socket to fail2ban-client builds its own).
func GatherFrom(ctx context.Context, host remote.Host, src Source, o Options) (Facts, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	res := o.Resolver
	if res == nil {
		res = defaultResolver(host)
	}
	defer src.Close()
	f := Facts{Source: src.Name(), Via: host.Where()}
	var err error

	seen := map[netip.Addr]bool{}
	for _, s := range o.IPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return f, fmt.Errorf("--ip %q is not an IPv4 or IPv6 address", s)
		}
		if a = a.Unmap(); !seen[a] {
			seen[a] = true
			f.Targets = append(f.Targets, Target{Addr: a})
		}
	}
	for _, name := range o.IPFromDNS {
		addrs, err := lookup(ctx, res, name)
		if ctx.Err() != nil {
			return f, gatherErr(KindTimeout, "", "resolving --ip-from-dns %s timed out", name)
		}
		f.Lookups = append(f.Lookups, NameLookup{Name: name, Addrs: addrs, Err: err})
		for _, a := range addrs {
			if !seen[a] {
				seen[a] = true
				f.Targets = append(f.Targets, Target{Addr: a, From: name})
			}
		}
	}
	if len(o.IPs) == 0 && len(o.IPFromDNS) == 0 {
		return f, fmt.Errorf("nothing to check: pass --ip ADDRESS and/or --ip-from-dns NAME")
	}

	f.ServerJails, err = src.JailNames(ctx)
	if err != nil {
		return f, err
	}
	selected := f.ServerJails
	if len(o.Jails) > 0 {
		selected = nil
		for _, j := range o.Jails {
			if slices.Contains(f.ServerJails, j) {
				if !slices.Contains(selected, j) {
					selected = append(selected, j)
				}
			} else {
				f.MissingJails = append(f.MissingJails, j)
			}
		}
	}
	selected = slices.DeleteFunc(slices.Clone(selected), func(j string) bool { return slices.Contains(o.ExcludeJails, j) })

	if len(f.Targets) == 0 {
		return f, nil // every --ip-from-dns failed: Evaluate says so; nothing to ask
	}
	f.Selected = selected
	ips := make([]netip.Addr, len(f.Targets))
	for i, t := range f.Targets {
		ips[i] = t.Addr
	}
	f.Jails, err = src.Jails(ctx, selected, ips)
	if err == nil {
		// Not fatal: without the version or the ban records the check still
		// judges, and says what it could not learn.
		f.Server, f.ServerErr = src.Server(ctx)
		err = readJailPorts(ctx, src, o, f.Jails)
	}
	if err == nil {
		resolveJailPorts(ctx, host, f.Jails)
	}
	if err == nil {
		err = banCausesAndEnds(ctx, host, src, &f)
	}
	src.Close() // free the server's connection before the DNS lookups
	if err != nil {
		return f, err
	}

	// A name not resolved in time is not one that does not resolve: it is
	// marked TimedOut, and Evaluate says UNKNOWN for an IP whose verdict
	// depends on it (and only then: an IP covered by another entry is
	// whitelisted whatever the name resolves to).
	f.Resolved = map[string]Resolution{}
	for _, name := range Names(f.Jails) {
		addrs, err := lookup(ctx, res, name)
		f.Resolved[name] = Resolution{Addrs: addrs, Err: err, TimedOut: lookupTimedOut(ctx, err)}
	}
	readIgnoreFiles(ctx, host, f.Server.Version, f.Jails)
	if wantSelf(f.Jails) {
		f.SelfIPs, f.SelfTimedOut = selfIPs(ctx, host, res, ignoreSelfCoversInterfaces(f.Server.Version))
	}
	f.Now = now()
	return f, nil
}

func wantSelf(jails []JailState) bool {
	for _, j := range jails {
		if j.IgnoreSelf {
			return true
		}
	}
	return false
}

// banCausesAndEnds reads why and until when each banned target is banned:
// the ban records first (database or log, on the host), then, for a ban
// whose end no record gave, the jail's ban list from the server.
func banCausesAndEnds(ctx context.Context, host remote.Host, src Source, f *Facts) error {
	if !anyBan(f.Jails) {
		return nil
	}
	if f.ServerErr != nil {
		f.CauseNote = fmt.Sprintf("ban cause not shown: could not ask fail2ban where it keeps its records: %v", f.ServerErr)
	} else {
		f.Causes, f.CauseNote, f.CauseSkipped = gatherCauses(ctx, host, f.Server, f.Jails)
		applyCauseEnds(f.Jails, f.Causes)
	}
	return src.BanEnds(ctx, f.Jails)
}

func anyBan(jails []JailState) bool {
	for _, j := range jails {
		if len(j.Bans) > 0 {
			return true
		}
	}
	return false
}
