// Command check_firewalld_mail is a Nagios/Icinga plugin: are the mail ports
// open in firewalld now, and will they still be open after the next reload?
package main

import (
	"context"

	"github.com/mailhost-checks/mailchecks/internal/firewalld"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

type cli struct {
	plugin.CommonFlags `embed:""`
	remote.SSHFlags    `embed:""`

	Zone             string   `help:"Judge only this zone (default: the zones traffic lands in: source-bound zones, the interface's zone, the default zone)." placeholder:"ZONE"`
	Interface        []string `help:"Interface mail clients arrive on (repeatable; default: the interfaces of the IPv4 and IPv6 default routes)." placeholder:"IFACE"`
	Family           string   `enum:"auto,ipv4,ipv6,both" default:"auto" help:"Address families that must be open: auto (those the host has a global address of), ipv4, ipv6, both."`
	ProcNet          string   `default:"/proc/net" hidden:"" help:"Where the kernel's route and address tables are read (tests point it at a network namespace)."`
	Service          []string `help:"Service that must be open (repeatable; default: smtp, smtps, smtp-submission, imap, imaps, http, https)." placeholder:"NAME"`
	Port             []string `help:"Port that must be open too, e.g. 4190/tcp (repeatable; adds to the services)." placeholder:"PORT/PROTO"`
	RuntimeSource    string   `enum:"dbus,cli" default:"dbus" help:"Where the runtime view comes from: dbus (firewalld over the system bus) or cli (firewall-cmd --list-all; firewall-cmd --version names the release whose rules judge the permanent config)."`
	FirewallCmd      string   `default:"/usr/bin/firewall-cmd" help:"firewall-cmd to run with --runtime-source=cli (may be a sudo wrapper; an absolute path, never looked up in PATH: under sudo the caller chooses PATH)." placeholder:"PATH"`
	ConfigDir        string   `default:"/etc/firewalld" help:"firewalld's admin config tree." placeholder:"DIR"`
	DefaultConfigDir string   `default:"/usr/lib/firewalld" help:"firewalld's package defaults tree." placeholder:"DIR"`
	Drift            string   `enum:"ignore,warning,critical" default:"warning" help:"State for other differences between runtime and permanent (ignore, warning, critical)."`
	Kernel           string   `enum:"auto,require,skip" default:"auto" help:"Judge the kernel's live ruleset too (nft -j list ruleset, legacy iptables): auto (when allowed; says so when not), require (UNKNOWN when it cannot be read), skip."`
	Sudo             bool     `name:"sudo" help:"Run firewall-cmd through sudo -n (here, or on the mail host with --ssh-host; the rule is in contrib/sudoers.d). Files are never read through sudo."`
}

func (c *cli) Check(ctx context.Context) plugin.Result {
	services := c.Service
	// --port adds to the default services; only --service replaces them.
	if len(services) == 0 {
		services = ruleset.DefaultServices
	}
	drift, _ := plugin.ParseState(c.Drift) // kong's enum already validated it
	host, notes, closeHost, err := c.SSHFlags.Open(ctx)
	if err != nil {
		return remote.FailureResult(err)
	}
	defer closeHost()
	if c.Sudo {
		host = remote.WithSudo(host)
	}
	// Over SSH there is no D-Bus: the runtime view is one remote
	// firewall-cmd --list-all, the permanent files one remote read.
	r := firewalld.Check(ctx, host, firewalld.Config{
		Zone:          c.Zone,
		Interfaces:    c.Interface,
		Family:        c.Family,
		ProcNet:       c.ProcNet,
		Services:      services,
		Ports:         c.Port,
		RuntimeSource: c.RuntimeSource,
		BusAddress:    firewalld.SystemBusAddress(),
		FirewallCmd:   c.FirewallCmd,
		Dirs:          fwconfig.Dirs{ConfigDir: c.ConfigDir, DefaultDir: c.DefaultConfigDir},
		Drift:         drift,
		Kernel:        c.Kernel,
	})
	return remote.Annotate(r, host, notes)
}

func main() {
	plugin.Main(plugin.Info{
		Name:        "check_firewalld_mail",
		Description: "Checks that the mail ports are open in firewalld's runtime config and will survive the next firewall-cmd --reload (permanent config).",
		PerfLabels:  []string{"required", "open_runtime", "open_permanent", "missing", "drift", "open_runtime_ipv4", "open_runtime_ipv6"}, // every state: U when not measured
	}, &cli{})
}
