package firewalld

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// Config is check_firewalld_mail's command line, as the package needs it.
type Config struct {
	Zone          string // "" = firewalld's default zone
	Services      []string
	Ports         []string
	RuntimeSource string // "dbus" or "cli"
	BusAddress    string
	FirewallCmd   string
	Dirs          Dirs
	Drift         plugin.State
}

// Check gathers both views, builds the requirements and evaluates.
func Check(ctx context.Context, cfg Config) plugin.Result {
	f := Facts{Zone: cfg.Zone}
	var bus *DBusSource

	// Runtime view first: with D-Bus it also tells the default zone.
	switch cfg.RuntimeSource {
	case "cli":
		f.Runtime, f.RuntimeErr = CLISource{Path: cfg.FirewallCmd}.RuntimeView(ctx, cfg.Zone)
		if f.Runtime != nil {
			f.Zone = f.Runtime.Zone.Name
		}
	default:
		bus = &DBusSource{Address: cfg.BusAddress}
		if err := bus.Connect(ctx); err != nil {
			f.RuntimeErr, bus = err, nil
			break
		}
		defer bus.Close()
		if f.Zone == "" {
			f.Zone, f.RuntimeErr = bus.DefaultZone(ctx)
		}
		if f.RuntimeErr == nil {
			f.Runtime, f.RuntimeErr = bus.RuntimeView(ctx, f.Zone)
		}
	}
	if f.Zone == "" {
		// firewalld is down or unreadable: the permanent default zone is
		// what it will use when it starts.
		zone, err := cfg.Dirs.DefaultZone()
		if err != nil {
			return plugin.UnknownResult(fmt.Errorf("cannot tell the default zone: %w", err), accessFix(err, false))
		}
		f.Zone = zone
	}
	if errors.Is(f.RuntimeErr, ErrNoSuchZone) {
		return plugin.UnknownResult(fmt.Errorf("zone %q: %w", f.Zone, f.RuntimeErr), accessFix(f.RuntimeErr, true))
	}

	f.Permanent, f.PermanentErr = cfg.Dirs.PermanentView(f.Zone)
	if errors.Is(f.PermanentErr, ErrNoSuchZone) && f.Runtime == nil {
		return plugin.UnknownResult(f.PermanentErr, accessFix(f.PermanentErr, false))
	}

	if f.Runtime != nil && cfg.RuntimeSource == "cli" {
		// --list-all names services but not their ports: take the
		// definitions from the files.
		for _, name := range f.Runtime.Zone.serviceNames() {
			if s, err := cfg.Dirs.Service(name); err == nil {
				f.Runtime.Services[name] = s
			}
		}
	}

	lookup := func(name string) (Service, error) {
		s, err := cfg.Dirs.Service(name)
		if err != nil && bus != nil {
			if s2, err2 := bus.serviceDef(ctx, name, map[string]bool{}); err2 == nil {
				return s2, nil
			}
		}
		return s, err
	}
	reqs, err := BuildRequirements(cfg.Services, cfg.Ports, lookup)
	r := Evaluate(f, Policy{Requirements: reqs, RequirementsErr: err, Drift: cfg.Drift})
	debugView(&r, "runtime", f.Runtime)
	debugView(&r, "permanent", f.Permanent)
	return r
}

func debugView(r *plugin.Result, name string, v *View) {
	if v == nil {
		return
	}
	r.Debugf("%s (%s): target %s, services %v, ports %v, %d rich rules",
		name, v.Source, v.Zone.Target, v.Zone.Services, portStrings(v.Zone.Ports), len(v.Zone.RichRules))
	for _, rule := range v.Zone.RichRules {
		r.Debugf("%s rich rule: %s", name, rule.Text)
	}
}
