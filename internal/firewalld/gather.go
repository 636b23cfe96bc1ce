package firewalld

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/expat"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// Config is check_firewalld_mail's command line, as the package needs it.
type Config struct {
	Zone          string // "" = the zones traffic lands in
	Interfaces    []string
	Family        string // auto, ipv4, ipv6, both
	Services      []string
	Ports         []string
	RuntimeSource string // "dbus" or "cli"
	BusAddress    string
	FirewallCmd   string
	Dirs          fwconfig.Dirs
	ProcNet       string // "/proc/net"; tests point it at a namespace's
	Drift         plugin.State
	Kernel        string // --kernel: auto, require, skip ("" = skip)
}

// Facts is everything gather found out. A nil view comes with its error.
type Facts struct {
	Where        string // "local", "via SSH root@mail:22"
	Zone         string // --zone: judge only this zone
	Runtime      *ruleset.Ruleset
	RuntimeErr   error
	Permanent    *ruleset.Ruleset
	PermanentErr error
	// Families are judged; Served decide the state (the others are shown).
	Families, Served []string
	FamiliesFrom     string // "--family", "global addresses", …
	Arrival          ruleset.Arrival
	ArrivalFrom      string // "--interface", "default route", "unknown"
	// RuntimeFallback is why a remote check asked firewall-cmd instead of
	// the mail host's D-Bus (nil when it did not).
	RuntimeFallback error
	Problems        []fwconfig.ConfigProblem
	// Version is the firewalld release whose rules judged Problems.
	Version  fwconfig.FirewalldVersion
	Policies []string // the admin's policy files, named in the output
	// NM is what NetworkManager said of the interfaces it manages;
	// FlushAllOnReload is firewalld.conf's; Kept are the runtime bindings
	// the next reload re-applies (already in Permanent, the after-reload
	// view), for the output.
	NM               NMFacts
	FlushAllOnReload bool
	Kept             []KeptBinding
	// Requirements are --service and --port resolved to ports (each mail
	// service's own, see RequiredLookup); RequirementsErr says why not.
	Requirements    []ruleset.Requirement
	RequirementsErr error
}

// Check gathers, builds the requirements and evaluates.
func Check(ctx context.Context, host remote.Host, cfg Config) plugin.Result {
	// The kernel's ruleset (nft -j list ruleset: 0.3 s at 10,000 rules)
	// is read while firewalld answers over D-Bus.
	kernel := make(chan kernelFacts, 1)
	go func() { kernel <- gatherKernel(ctx, host, cfg) }()
	f, err := Gather(ctx, host, cfg)
	k := <-kernel // ends with ctx: no command outlives the check
	if err != nil {
		return plugin.UnknownResult(err, accessFix(err, false))
	}
	r := Evaluate(f, Policy{Requirements: f.Requirements, RequirementsErr: f.RequirementsErr, Drift: cfg.Drift})
	evaluateKernel(&r, gatherReloadFacts(ctx, host, cfg, f.Version, k), f, f.Requirements)
	if f.RuntimeFallback != nil {
		r.Debugf("runtime from firewall-cmd on the mail host, not its D-Bus: %v", f.RuntimeFallback)
	}
	debugRuleset(&r, "runtime", f.Runtime)
	debugRuleset(&r, "permanent", f.Permanent)
	return r
}

// Gather reads everything the verdict needs: all files (both config trees
// and the kernel's address and route tables) in one ReadFiles round trip,
// the runtime view over D-Bus (local only) or by one firewall-cmd.
func Gather(ctx context.Context, host remote.Host, cfg Config) (f Facts, err error) {
	f = Facts{Where: host.Where(), Zone: cfg.Zone}
	if cfg.ProcNet == "" {
		cfg.ProcNet = "/proc/net"
	}
	for _, name := range append([]string{cfg.Zone}, cfg.Interfaces...) {
		if strings.ContainsAny(name, "/\x00 \t\n;$`'\"\\") {
			return f, fmt.Errorf("invalid zone or interface name %q", name)
		}
	}
	// The firewalld version decides the rules the permanent config is
	// judged by: over D-Bus its version property, asked beside the runtime
	// calls; else firewall-cmd --version, beside the file read. Exactly
	// one value is sent on version whatever happens; Gather returns only
	// once the asking is over (the host's methods end with ctx), so that
	// no command or call outlives the check.
	version := make(chan fwconfig.FirewalldVersion, 1)
	var asking sync.WaitGroup
	defer asking.Wait()
	ask := func(get func() fwconfig.FirewalldVersion) {
		asking.Add(1)
		go func() {
			defer asking.Done()
			version <- get()
		}()
	}
	cliVersion := func() {
		ask(func() fwconfig.FirewalldVersion { return firewallCmdVersion(ctx, host, cfg.FirewallCmd) })
	}
	// Over D-Bus the runtime view needs nothing from the files: ask
	// firewalld while the files are read and validated.
	var bus *DBusSource
	var runtimeDone chan struct{}
	if cfg.RuntimeSource == "dbus" {
		bus, runtimeDone = &DBusSource{Address: cfg.BusAddress}, make(chan struct{})
		defer bus.Close()
		go func() {
			defer close(runtimeDone)
			// Over SSH: the mail host's bus through a stream-local
			// channel (dbus_ssh.go); firewall-cmd below if that fails.
			if host.Remote() {
				if bus.Remote, f.RuntimeFallback = remoteBus(ctx, host); f.RuntimeFallback != nil {
					cliVersion()
					return
				}
			}
			if f.RuntimeErr = bus.Connect(ctx); f.RuntimeErr == nil {
				ask(func() fwconfig.FirewalldVersion { return bus.version(ctx) })
				f.Runtime, f.RuntimeErr = bus.runtimeRuleset(ctx, cfg.Zone)
			} else if host.Remote() && errors.Is(f.RuntimeErr, ErrNoBus) {
				f.RuntimeFallback, f.RuntimeErr = f.RuntimeErr, nil
				cliVersion()
			} else {
				version <- fwconfig.UnknownFirewalldVersion(fmt.Errorf("D-Bus: %w", f.RuntimeErr))
			}
		}()
	} else {
		cliVersion()
	}
	patterns := fwconfig.PermanentPatterns(cfg.Dirs)
	procFiles := procNetFiles(cfg.ProcNet)
	files, err := host.ReadFiles(ctx, append(append([]string(nil), patterns...), procFiles...), expat.MaxFileBytes)
	if err != nil {
		f.PermanentErr = err
	}
	var config []remote.File
	proc := map[string]remote.File{}
	for _, file := range files {
		if hasString(procFiles, file.Path) {
			proc[file.Path] = file
		} else {
			config = append(config, file)
		}
	}
	// Validation is CPU work on data in hand: run it while the runtime view
	// waits for firewalld (and the version arrives: ValidateAsVersionArrives).
	// What it kept is the permanent view: there is one reader.
	type loaded struct {
		v        fwconfig.FirewalldVersion
		problems []fwconfig.ConfigProblem
		config   *fwconfig.Tree
	}
	validated := make(chan loaded, 1)
	go func() {
		v, problems, c := fwconfig.ValidateAsVersionArrives(ctx, cfg.Dirs, config, version)
		validated <- loaded{v, problems, c}
	}()
	f.arrival(cfg, proc)

	if runtimeDone != nil {
		<-runtimeDone
		if bus.conn == nil {
			bus = nil // no connection: nothing to ask later
		} else if f.Runtime != nil {
			f.NM = bus.networkManager(ctx, f.nmInterfaces())
		}
	}
	if runtimeDone == nil || f.RuntimeFallback != nil {
		f.Runtime, f.RuntimeErr = cliRuntime(ctx, host, cfg.FirewallCmd, cfg.Zone)
		if f.RuntimeErr == nil && !host.Remote() {
			f.NM = askNetworkManager(ctx, cfg.BusAddress, f.nmInterfaces())
		}
	}
	load := <-validated
	f.Version, f.Problems = load.v, load.problems
	pc := load.config
	for _, name := range pc.Names["policies"] {
		// The stock policies (allow-host-ipv6) accept DHCPv6 and ND only;
		// the admin's are the ones that may refuse mail.
		if pc.FromAdmin(pc.Paths["policies"][name]) {
			f.Policies = append(f.Policies, name)
		}
	}
	f.Policies = sortedCopy(f.Policies)
	if f.PermanentErr == nil {
		f.Permanent, f.PermanentErr = pc.PermanentRuleset([]string{cfg.Zone})
		var refused fwconfig.RefusedError
		if pc.V2 && errors.As(f.PermanentErr, &refused) {
			f.Permanent, f.PermanentErr = fwconfig.LenientRuleset(cfg.Dirs, config, []string{cfg.Zone})
		}
	}
	conf, _ := fwconfig.ConfAndZones(cfg.Dirs, config)
	f.FlushAllOnReload = conf == nil || fwconfig.FlushAllOnReload(conf.Data, pc.Rules)
	f.Permanent, f.Kept = afterReload(f.Runtime, f.Permanent, f.NM, f.FlushAllOnReload)
	if f.Runtime != nil && f.Runtime.Policies == nil {
		f.RuntimeErr = cliPolicies(ctx, host, cfg, f.Runtime, f.Permanent)
		if f.RuntimeErr != nil {
			f.Runtime = nil
		}
	}
	if cfg.Zone != "" && !zoneKnown(f.Runtime, cfg.Zone) && !zoneKnown(f.Permanent, cfg.Zone) &&
		(f.Runtime != nil || f.Permanent != nil) {
		return f, fmt.Errorf("zone %q: %w at runtime or in %s/zones or %s/zones", cfg.Zone, fwconfig.ErrNoSuchZone, cfg.Dirs.ConfigDir, cfg.Dirs.DefaultDir)
	}

	f.definitions(ctx, host, cfg, bus, pc)
	fwconfig.ResolvePortNames(f.Runtime, pc.DB)
	fwconfig.ResolvePortNames(f.Permanent, pc.DB)
	return f, nil
}

// prefetchServices fetches the definitions the evaluation may consult:
// every service of the zones and policies in the view (or of --zone) and
// of their rich rules, the required ones included (a zone naming one
// opens it as its definition says). Evaluate then runs on data alone.
func prefetchServices(rs *ruleset.Ruleset, explicit string, fetch ruleset.ServiceLookup) {
	rs.Services, rs.ServiceErrs = map[string]ruleset.Service{}, map[string]error{}
	for _, n := range servicesNamed(rs, explicit) {
		if _, done := rs.Services[n]; done {
			continue
		}
		if _, failed := rs.ServiceErrs[n]; failed {
			continue
		}
		if s, err := fetch(n); err != nil {
			rs.ServiceErrs[n] = err
		} else {
			rs.Services[n] = s
		}
	}
}

// servicesNamed lists the services the zones (or --zone) and policies of
// the view name, with repeats.
func servicesNamed(rs *ruleset.Ruleset, explicit string) []string {
	var names []string
	sets := []*ruleset.Zone{}
	for name, z := range rs.Zones {
		if explicit == "" || name == explicit {
			sets = append(sets, z)
		}
	}
	for _, p := range rs.Policies {
		if p != nil {
			sets = append(sets, p.Set)
		}
	}
	for _, z := range sets {
		names = append(names, z.Services...)
		for _, r := range z.RichRules {
			if r.Element == "service" {
				names = append(names, r.Service)
			}
		}
	}
	return names
}

func zoneKnown(rs *ruleset.Ruleset, name string) bool {
	if rs == nil {
		return false
	}
	_, ok := rs.Zones[name]
	return ok
}

// arrival decides the families judged and the interfaces clients arrive
// on, from the flags or the kernel's tables.
func (f *Facts) arrival(cfg Config, proc map[string]remote.File) {
	data := func(name string) ([]byte, bool) {
		file, ok := proc[filepath.Join(cfg.ProcNet, name)]
		return file.Data, ok && file.Err == nil
	}
	v4, _ := data("fib_trie")
	v6, ok6 := data("if_inet6")
	addrs := map[string][]netip.Addr{ruleset.IPv4: localAddrs4(v4), ruleset.IPv6: globalAddrs6(v6)}
	f.Arrival.HostAddrs = addrs
	switch cfg.Family {
	case ruleset.IPv4, ruleset.IPv6:
		f.Families, f.Served, f.FamiliesFrom = []string{cfg.Family}, []string{cfg.Family}, "--family"
	case "both":
		f.Families, f.Served, f.FamiliesFrom = []string{ruleset.IPv4, ruleset.IPv6}, []string{ruleset.IPv4, ruleset.IPv6}, "--family"
	default:
		f.Families = []string{ruleset.IPv4, ruleset.IPv6}
		_, ok4 := data("fib_trie")
		switch {
		case !ok4 || !ok6:
			// Not knowing is no reason to look away: judge both.
			f.Served, f.FamiliesFrom = []string{ruleset.IPv4, ruleset.IPv6}, "both (the host's addresses could not be read)"
		default:
			for _, fam := range []string{ruleset.IPv4, ruleset.IPv6} {
				if len(addrs[fam]) > 0 {
					f.Served = append(f.Served, fam)
				}
			}
			f.FamiliesFrom = "the host's global addresses"
			if len(f.Served) == 0 {
				f.Served, f.FamiliesFrom = []string{ruleset.IPv4, ruleset.IPv6}, "both (the host has no global address)"
			}
		}
	}
	f.Arrival.Interfaces = map[string][]string{}
	if len(cfg.Interfaces) > 0 {
		for _, fam := range f.Families {
			f.Arrival.Interfaces[fam] = cfg.Interfaces
		}
		f.ArrivalFrom = "--interface"
		return
	}
	r4, _ := data("route")
	r6, _ := data("ipv6_route")
	f.Arrival.Interfaces[ruleset.IPv4] = defaultRouteIfaces4(r4)
	f.Arrival.Interfaces[ruleset.IPv6] = defaultRouteIfaces6(r6)
	f.ArrivalFrom = "the default route"
}

// cliPolicies fills the runtime policies when firewall-cmd gave the zones:
// with a policy file of the admin's, one `--list-all-policies`; with the
// stock policies only (allow-host-ipv6 accepts DHCPv6 and ND), their
// permanent definitions, saving a Python start (a runtime-only change to
// a stock policy is not seen then).
func cliPolicies(ctx context.Context, host remote.Host, cfg Config, rt, pm *ruleset.Ruleset) error {
	admin := false
	if pm != nil {
		for _, p := range pm.Policies {
			admin = admin || (p != nil && p.FromAdmin)
		}
	}
	if pm != nil && !admin {
		rt.Policies = pm.Policies
		return nil
	}
	out, err := runFirewallCmd(ctx, host, cfg.FirewallCmd, "--list-all-policies")
	if err != nil {
		return err
	}
	rt.Policies, err = parseListAllPolicies(out)
	if err != nil {
		return fmt.Errorf("%s --list-all-policies: %v", cfg.FirewallCmd, err)
	}
	return nil
}
