package remote

import (
	"errors"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// FailureResult is the plugin result for a mail host that could not be
// reached or trusted: a changed or revoked host key is CRITICAL (someone may
// be in the middle), everything else UNKNOWN (nothing was verified).
func FailureResult(err error) plugin.Result {
	var hk *HostKeyError
	if errors.As(err, &hk) {
		state := plugin.Critical
		if hk.Problem == HostUnknown {
			state = plugin.Unknown
		}
		var r plugin.Result
		r.Summary = hk.Error()
		r.Add(state, hk.Error(), hk.Fix())
		return r
	}
	var auth *AuthError
	if errors.As(err, &auth) {
		return plugin.UnknownResult(err, "authorize the key for "+auth.User+" on the mail host (~"+auth.User+"/.ssh/authorized_keys), or give the right one with --ssh-key / --ssh-agent-socket")
	}
	return plugin.UnknownResult(err, "")
}

// Annotate adds where the facts came from to a result gathered remotely, and
// the connection's notes for -v. Local results stay as they are, so that a
// local and a remote run print the same summary and perfdata.
func Annotate(r plugin.Result, host Host, notes []string) plugin.Result {
	if host == nil || !host.Remote() {
		return r
	}
	r.Detailf("facts gathered %s", host.Where())
	for _, n := range notes {
		r.Debugf("ssh: %s", n)
	}
	return r
}
