package fail2ban

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailhost-checks/mailchecks/internal/netfilter"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// CheckVia is Check with the backend chosen for where host is: on a remote
// host the socket backend speaks the native protocol over an SSH
// stream-local channel when sshd opens one, and otherwise runs
// fail2ban-client on the mail host (with --sudo, through the read-only
// wrapper of contrib/sudoers.d). -v says which path was taken and why.
func CheckVia(ctx context.Context, host remote.Host, o Options) plugin.Result {
	src, why, err := ChooseSource(ctx, host, o)
	if err != nil {
		return plugin.UnknownResult(err, FixFor(err))
	}
	// The kernel's ruleset (nft -j list ruleset: 0.3 s at 10,000 ban
	// rules) is read while fail2ban answers.
	kernel := make(chan netfilter.Gathered, 1)
	go func() { kernel <- gatherKernel(ctx, host, o) }()
	facts, err := GatherFrom(ctx, host, src, o)
	k := <-kernel // ends with ctx: no command outlives the check
	var r plugin.Result
	if err != nil {
		r = plugin.UnknownResult(err, FixFor(err))
		if why != "" {
			r.Detailf("%s", why) // the fallback explains the error's source
		}
		return r
	}
	r = Evaluate(facts, Config{Unlisted: o.Unlisted})
	evaluateKernel(&r, k, o.Kernel.Mode, o.Kernel.Ports, facts)
	if why != "" {
		r.Debugf("%s", why)
	}
	return r
}

// ChooseSource builds the backend for host. Locally, and with
// --backend=client, it is NewSource's. Remotely with the socket backend, it
// opens a stream-local channel to the socket first: sshd answers a refusal
// and a missing socket alike ("open failed"), so either way the check asks
// fail2ban-client on the mail host instead, which names the real cause if
// there is one.
func ChooseSource(ctx context.Context, host remote.Host, o Options) (Source, string, error) {
	if !host.Remote() || (o.Backend != "" && o.Backend != "socket") {
		src, err := NewSource(host, o)
		return src, "", err
	}
	c, err := host.DialUnix(ctx, o.Socket)
	if err == nil {
		c.Close()
		src, err := NewSource(host, o)
		return src, fmt.Sprintf("fail2ban: socket %s over an SSH stream-local channel", o.Socket), err
	}
	if !errors.Is(err, remote.ErrStreamLocalRefused) {
		return nil, "", err // the connection itself failed (timed out, closed)
	}
	client := o
	client.Backend = "client"
	src, cerr := NewSource(host, client)
	return src, fmt.Sprintf("fail2ban: %v; fell back to running %s on the mail host", err, o.ClientPath), cerr
}
