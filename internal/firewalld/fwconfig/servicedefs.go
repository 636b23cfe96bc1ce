package fwconfig

import "github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"

// mailPorts are the ports each mail protocol's service must open: the
// protocol's own (IANA), whatever a service file of the same name says.
// An admin's override that drops one does not make the check look for
// another port: it closes the service (see overrideLine).
var mailPorts = map[string][]ruleset.Port{
	"smtp":            {{Port: "25", Protocol: "tcp"}},
	"smtps":           {{Port: "465", Protocol: "tcp"}},
	"submission":      {{Port: "587", Protocol: "tcp"}},
	"smtp-submission": {{Port: "587", Protocol: "tcp"}},
	"imap":            {{Port: "143", Protocol: "tcp"}},
	"imaps":           {{Port: "993", Protocol: "tcp"}},
	"http":            {{Port: "80", Protocol: "tcp"}},
	"https":           {{Port: "443", Protocol: "tcp"}},
}

// RequiredLookup resolves the ports a required service must open: a mail
// protocol's own; else the package's definition (DefaultDir); else the
// admin's (a service of the admin's own); else, when no file has it, the
// runtime's (runtimeDef, nil without a bus: a service created at runtime).
func (c *Tree) RequiredLookup(runtimeDef ruleset.ServiceLookup) ruleset.ServiceLookup {
	return func(name string) (ruleset.Service, error) {
		if ports, ok := mailPorts[name]; ok {
			return ruleset.Service{Name: name, Ports: ports}, nil
		}
		if s, err := c.service(c.stockServices, name, map[string]bool{}); err == nil {
			return s, nil
		}
		return c.FilesThenRuntime(runtimeDef)(name)
	}
}

// FilesThenRuntime looks a definition up in the files firewalld loads,
// else (a service no file has) in the runtime.
func (c *Tree) FilesThenRuntime(runtimeDef ruleset.ServiceLookup) ruleset.ServiceLookup {
	return func(name string) (ruleset.Service, error) {
		s, err := c.service(c.services, name, map[string]bool{})
		if err != nil && runtimeDef != nil {
			if rs, rerr := runtimeDef(name); rerr == nil {
				return rs, nil
			}
		}
		return s, err
	}
}
