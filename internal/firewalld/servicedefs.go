package firewalld

import (
	"context"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// mailPorts are the ports each mail protocol's service must open: the
// protocol's own (IANA), whatever a service file of the same name says.
// An admin's override that drops one does not make the check look for
// another port: it closes the service (see overrideLine).
var mailPorts = map[string][]Port{
	"smtp":            {{"25", "tcp"}},
	"smtps":           {{"465", "tcp"}},
	"submission":      {{"587", "tcp"}},
	"smtp-submission": {{"587", "tcp"}},
	"imap":            {{"143", "tcp"}},
	"imaps":           {{"993", "tcp"}},
	"http":            {{"80", "tcp"}},
	"https":           {{"443", "tcp"}},
}

// requiredLookup resolves the ports a required service must open: a mail
// protocol's own; else the package's definition (DefaultDir); else the
// admin's (a service of the admin's own); else, when no file has it, the
// runtime's (runtimeDef, nil without a bus: a service created at runtime).
func (c *permanentConfig) requiredLookup(runtimeDef ServiceLookup) ServiceLookup {
	return func(name string) (Service, error) {
		if ports, ok := mailPorts[name]; ok {
			return Service{Name: name, Ports: ports}, nil
		}
		if s, err := c.service(c.stockServices, name, map[string]bool{}); err == nil {
			return s, nil
		}
		return c.filesThenRuntime(runtimeDef)(name)
	}
}

// filesThenRuntime looks a definition up in the files firewalld loads,
// else (a service no file has) in the runtime.
func (c *permanentConfig) filesThenRuntime(runtimeDef ServiceLookup) ServiceLookup {
	return func(name string) (Service, error) {
		s, err := c.service(c.services, name, map[string]bool{})
		if err != nil && runtimeDef != nil {
			if rs, rerr := runtimeDef(name); rerr == nil {
				return rs, nil
			}
		}
		return s, err
	}
}

// definitions resolves, while the bus is still open, every definition
// the evaluation may consult: the requirements' ports and the runtime
// view's services. Facts are plain data afterwards.
func (f *Facts) definitions(ctx context.Context, host remote.Host, cfg Config, bus *DBusSource, pc *permanentConfig) {
	var runtimeDef ServiceLookup
	switch {
	case bus != nil:
		runtimeDef = func(name string) (Service, error) { return bus.serviceDef(ctx, name, map[string]bool{}) }
	case f.Runtime != nil:
		runtimeDef = func(name string) (Service, error) {
			return cliServiceDef(ctx, host, cfg.FirewallCmd, name, map[string]bool{})
		}
	}
	f.Requirements, f.RequirementsErr = BuildRequirements(cfg.Services, cfg.Ports, pc.requiredLookup(runtimeDef))
	if f.Runtime == nil {
		return
	}
	// Over D-Bus each definition is the runtime's own (a file edited
	// without a reload, a runtime-only service); firewall-cmd does not
	// print them, so the files stand in for them then.
	fetch := runtimeDef
	if bus == nil {
		fetch = pc.filesThenRuntime(runtimeDef)
	}
	prefetchServices(f.Runtime, f.Zone, fetch)
}

// definition is the view's definition of a service (a ServiceLookup over
// the files when firewall-cmd, which does not print definitions, gave the
// runtime view).
func (v *Ruleset) definition(name string) (Service, error) {
	if v == nil {
		return Service{}, errNoDefinition(name)
	}
	if s, ok := v.Services[name]; ok {
		return s, nil
	}
	if err, ok := v.ServiceErrs[name]; ok {
		return Service{}, err
	}
	return Service{}, errNoDefinition(name)
}

type errNoDefinition string

func (e errNoDefinition) Error() string { return "service " + string(e) + ": no definition" }
