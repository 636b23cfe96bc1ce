// Command check_firewalld_mail is a Nagios/Icinga plugin: are the mail ports
// open in firewalld now, and will they still be open after the next reload?
package main

import (
	"context"

	"github.com/mailhost-checks/mailchecks/internal/firewalld"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

type cli struct {
	plugin.CommonFlags `embed:""`

	Zone             string   `help:"Zone to check (default: firewalld's default zone)." placeholder:"ZONE"`
	Service          []string `help:"Service that must be open (repeatable; default: smtp, smtps, smtp-submission, imap, imaps, http, https)." placeholder:"NAME"`
	Port             []string `help:"Port that must be open too, e.g. 4190/tcp (repeatable; adds to the services)." placeholder:"PORT/PROTO"`
	RuntimeSource    string   `enum:"dbus,cli" default:"dbus" help:"Where the runtime view comes from: dbus (firewalld over the system bus) or cli (one firewall-cmd --list-all)."`
	FirewallCmd      string   `default:"firewall-cmd" help:"firewall-cmd to run with --runtime-source=cli (may be a sudo wrapper)." placeholder:"PATH"`
	ConfigDir        string   `default:"/etc/firewalld" help:"firewalld's admin config tree." placeholder:"DIR"`
	DefaultConfigDir string   `default:"/usr/lib/firewalld" help:"firewalld's package defaults tree." placeholder:"DIR"`
	Drift            string   `enum:"ignore,warning,critical" default:"warning" help:"State for other differences between runtime and permanent (ignore, warning, critical)."`
}

func (c *cli) Check(ctx context.Context) plugin.Result {
	services := c.Service
	// --port adds to the default services; only --service replaces them.
	if len(services) == 0 {
		services = firewalld.DefaultServices
	}
	drift, _ := plugin.ParseState(c.Drift) // kong's enum already validated it
	return firewalld.Check(ctx, firewalld.Config{
		Zone:          c.Zone,
		Services:      services,
		Ports:         c.Port,
		RuntimeSource: c.RuntimeSource,
		BusAddress:    firewalld.SystemBusAddress(),
		FirewallCmd:   c.FirewallCmd,
		Dirs:          firewalld.Dirs{ConfigDir: c.ConfigDir, DefaultDir: c.DefaultConfigDir},
		Drift:         drift,
	})
}

func main() {
	plugin.Main(plugin.Info{
		Name:        "check_firewalld_mail",
		Description: "Checks that the mail ports are open in firewalld's runtime config and will survive the next firewall-cmd --reload (permanent config).",
	}, &cli{})
}
