package firewalld

import (
	"context"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// definitions resolves, while the bus is still open, every definition
// the evaluation may consult: the requirements' ports and the runtime
// view's services. Facts are plain data afterwards.
func (f *Facts) definitions(ctx context.Context, host remote.Host, cfg Config, bus *DBusSource, pc *fwconfig.Tree) {
	var runtimeDef ruleset.ServiceLookup
	switch {
	case bus != nil:
		runtimeDef = bus.serviceLookup(ctx)
	case f.Runtime != nil:
		runtimeDef = func(name string) (ruleset.Service, error) {
			return cliServiceDef(ctx, host, cfg.FirewallCmd, name, map[string]bool{})
		}
	}
	f.Requirements, f.RequirementsErr = ruleset.BuildRequirements(cfg.Services, cfg.Ports, pc.RequiredLookup(runtimeDef))
	if f.Runtime == nil {
		return
	}
	// Over D-Bus each definition is the runtime's own (a file edited
	// without a reload, a runtime-only service); firewall-cmd does not
	// print them, so the files stand in for them then.
	fetch := runtimeDef
	if bus == nil {
		fetch = pc.FilesThenRuntime(runtimeDef)
	}
	prefetchServices(f.Runtime, f.Zone, fetch)
}
