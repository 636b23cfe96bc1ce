package firewalld

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// cliServiceDef is a runtime service definition from
// `firewall-cmd --info-service=NAME` (command.py print_service_info),
// its includes followed: the one way to learn a service no file has
// (created at runtime, or its file deleted without a reload) when
// firewall-cmd gives the runtime view. One Python start per service: it
// is asked only for a required service no file defines.
func cliServiceDef(ctx context.Context, host remote.Host, firewallCmd, name string, seen map[string]bool) (ruleset.Service, error) {
	if seen[name] {
		return ruleset.Service{Name: name}, nil
	}
	seen[name] = true
	if name == "" || len(name) > 255 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != "" {
		return ruleset.Service{}, fmt.Errorf("invalid service name %q", name)
	}
	out, err := runFirewallCmd(ctx, host, firewallCmd, "--info-service="+name)
	if err != nil {
		return ruleset.Service{}, fmt.Errorf("service %q: %w", name, err)
	}
	svc := parseServiceInfo(name, out)
	for _, inc := range svc.Includes {
		if included, err := cliServiceDef(ctx, host, firewallCmd, inc, seen); err == nil {
			svc.Ports = ruleset.AppendMissing(svc.Ports, included.Ports...)
			svc.Protocols = append(svc.Protocols, included.Protocols...)
		}
	}
	return svc, nil
}

// parseServiceInfo reads the "  key: values" lines of --info-service.
func parseServiceInfo(name, out string) ruleset.Service {
	svc := ruleset.Service{Name: name}
	for _, line := range strings.Split(out, "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		switch key {
		case "ports":
			for _, f := range fields {
				if port, proto, ok := strings.Cut(f, "/"); ok {
					svc.Ports = append(svc.Ports, ruleset.Port{Port: port, Protocol: proto})
				}
			}
		case "protocols":
			svc.Protocols = append(svc.Protocols, fields...)
		case "includes":
			svc.Includes = fields
		}
	}
	return svc
}
