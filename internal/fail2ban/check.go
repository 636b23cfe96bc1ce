package fail2ban

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
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

	// For tests: a resolver and a clock. Zero values mean the real ones.
	Resolver Resolver
	Now      func() time.Time
}

// Resolver resolves names the way the host does (/etc/hosts, then DNS).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Check gathers, evaluates and returns the result. Gathering failures that
// leave nothing to judge are UNKNOWN with their fix.
func Check(ctx context.Context, o Options) plugin.Result {
	facts, err := Gather(ctx, o)
	if err != nil {
		return plugin.UnknownResult(err, FixFor(err))
	}
	return Evaluate(facts, Config{Unlisted: o.Unlisted})
}

// NewSource builds the backend the options ask for.
func NewSource(o Options) (Source, error) {
	switch o.Backend {
	case "", "socket":
		return &SocketSource{Path: o.Socket, ClientPath: o.ClientPath}, nil
	case "client":
		return &ClientSource{Path: o.ClientPath, Socket: o.Socket, Sudo: o.Sudo}, nil
	}
	return nil, fmt.Errorf("unknown backend %q (want socket or client)", o.Backend)
}

// Gather collects the facts: targets, jail states, and the resolution of
// every DNS name those jails whitelist.
func Gather(ctx context.Context, o Options) (Facts, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	res := o.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	src, err := NewSource(o)
	if err != nil {
		return Facts{}, err
	}
	f := Facts{Source: src.Name()}

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

	f.Jails, err = src.Jails(ctx, selected)
	if err != nil {
		return f, err
	}

	f.Resolved = map[string]Resolution{}
	for _, name := range Names(f.Jails) {
		addrs, err := lookup(ctx, res, name)
		f.Resolved[name] = Resolution{Addrs: addrs, Err: err}
	}
	if wantSelf(f.Jails) {
		f.SelfIPs = selfIPs(ctx, res)
	}
	if ctx.Err() != nil {
		// A name we could not resolve in time is not one that does not
		// resolve: never turn our own timeout into "not whitelisted".
		return f, gatherErr(KindTimeout, "", "resolving the DNS names in ignoreip (%v) timed out", Names(f.Jails))
	}
	f.Now = now()
	return f, nil
}

// lookup resolves A and AAAA, as fail2ban's DNSUtils.dnsToIp does, and
// returns plain (unmapped) addresses without duplicates.
func lookup(ctx context.Context, r Resolver, name string) ([]netip.Addr, error) {
	addrs, err := r.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		if a = a.Unmap(); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func wantSelf(jails []JailState) bool {
	for _, j := range jails {
		if j.IgnoreSelf {
			return true
		}
	}
	return false
}

// selfIPs mirrors DNSUtils.getSelfIPs: the addresses of "localhost" and of
// this host's name. The plugin runs where fail2ban runs (local socket).
func selfIPs(ctx context.Context, r Resolver) []netip.Addr {
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" {
		names = append(names, h)
	}
	var out []netip.Addr
	for _, n := range names {
		addrs, _ := lookup(ctx, r, n)
		for _, a := range addrs {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}
