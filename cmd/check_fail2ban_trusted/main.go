// Command check_fail2ban_trusted checks that a trusted egress IP (a home
// office, the monitoring host) is not banned by any fail2ban jail, and that
// every jail's effective ignoreip covers it so it stays unbanned.
package main

import (
	"context"
	"fmt"

	"github.com/mailhost-checks/mailchecks/internal/fail2ban"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

type cli struct {
	plugin.CommonFlags `embed:""`
	remote.SSHFlags    `embed:""`

	IP          []string `name:"ip" placeholder:"ADDRESS" help:"Trusted IPv4 or IPv6 address to check (repeatable). With --ssh-host, ssh-client is the address the mail host sees this SSH connection come from."`
	IPFromDNS   []string `name:"ip-from-dns" placeholder:"NAME" help:"Check every A and AAAA address of NAME, e.g. a dynamic-DNS name of the office (repeatable)."`
	Jail        []string `name:"jail" placeholder:"JAIL" help:"Check only this jail (repeatable; default: every jail)."`
	ExcludeJail []string `name:"exclude-jail" placeholder:"JAIL" help:"Do not check this jail (repeatable)."`
	Unlisted    string   `name:"unlisted" default:"warning" enum:"ok,warning,critical" help:"State when an IP is not whitelisted by a jail's ignoreip (ok, warning, critical)."`

	Backend        string   `name:"backend" default:"socket" enum:"socket,client" help:"socket: speak fail2ban's control protocol directly; client: run fail2ban-client (for a sudo rule)."`
	Socket         string   `name:"socket" default:"/var/run/fail2ban/fail2ban.sock" placeholder:"PATH" help:"fail2ban control socket (default: /var/run/fail2ban/fail2ban.sock)."`
	Fail2banClient string   `name:"fail2ban-client" default:"/usr/bin/fail2ban-client" placeholder:"PATH" help:"fail2ban-client to run with --backend=client (default: /usr/bin/fail2ban-client; with --sudo, the read-only wrapper from contrib/sudoers.d)."`
	Kernel         string   `name:"kernel" default:"auto" enum:"auto,require,skip" help:"Judge the kernel's live ruleset for each IP on the mail ports (nft -j list ruleset, legacy iptables): auto (when allowed; says so when not), require (UNKNOWN when it cannot be read), skip."`
	KernelPort     []uint16 `name:"kernel-port" placeholder:"PORT" help:"TCP port the kernel's verdict is asked on (repeatable; overrides the default: each jail's own ports, read from fail2ban-server; 25, 465, 587, 110, 995, 143, 993, 4190 for a jail whose ports are not read)."`
	ProcNet        string   `name:"proc-net" default:"/proc/net" hidden:"" help:"Where the kernel's tables are read (tests point it at a network namespace)."`
	Sudo           bool     `name:"sudo" help:"Run fail2ban-client through sudo -n (with --backend=client, and over SSH when sshd refuses the socket)."`
}

func (c *cli) Check(ctx context.Context) plugin.Result {
	unlisted, err := plugin.ParseState(c.Unlisted)
	if err != nil {
		return plugin.UnknownResult(fmt.Errorf("--unlisted: %v", err), "")
	}
	// --sudo is fail2ban-client's own (its argv carries sudo -n), so the
	// host is not wrapped in remote.WithSudo.
	host, notes, closeHost, err := c.SSHFlags.Open(ctx)
	if err != nil {
		return remote.FailureResult(err)
	}
	defer closeHost()
	ips, note, err := remote.ResolveSSHClient(ctx, host, c.IP)
	if err != nil {
		return remote.Annotate(plugin.UnknownResult(err, ""), host, notes)
	}
	r := fail2ban.CheckVia(ctx, host, fail2ban.Options{
		Backend:      c.Backend,
		Socket:       c.Socket,
		ClientPath:   c.Fail2banClient,
		Sudo:         c.Sudo,
		IPs:          ips,
		IPFromDNS:    c.IPFromDNS,
		Jails:        c.Jail,
		ExcludeJails: c.ExcludeJail,
		Unlisted:     unlisted,
		Kernel:       fail2ban.KernelOptions{Mode: c.Kernel, Ports: c.KernelPort, ProcNet: c.ProcNet},
	})
	if note != "" {
		r.Detailf("%s", note)
	}
	return remote.Annotate(r, host, notes)
}

func main() {
	plugin.Main(plugin.Info{
		Name:        "check_fail2ban_trusted",
		Description: "Is a trusted IP banned by fail2ban, and is it whitelisted (ignoreip) in every jail so it stays unbanned?",
		PerfLabels:  []string{"jails_checked", "jails_banning", "jails_not_whitelisting", "banned_ips"}, // every state: U when not measured
	}, &cli{})
}
