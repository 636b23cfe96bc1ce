package netfilter

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// Modes of --kernel.
const (
	ModeAuto    = "auto"    // read the kernel's ruleset when allowed; say so when not
	ModeRequire = "require" // UNKNOWN when it cannot be read
	ModeSkip    = "skip"    // do not read it
)

// ModeEnum is the kong enum of --kernel.
const ModeEnum = "auto,require,skip"

// KernelFix says how to grant the read.
const KernelFix = "run the check as root, or with --sudo and the sudo rule for /usr/sbin/nft -j list ruleset (contrib/sudoers.d/mailchecks)"

// OptionsFor builds the read options of a check: sudo runs the commands
// through `sudo -n` (the shipped sudo rule allows exactly them); a procNet
// of another process (/proc/PID/net, the checks' hidden --proc-net that
// tests point at a network namespace) reads that process's namespace.
func OptionsFor(sudo bool, procNet string) ReadOptions {
	opt := ReadOptions{ProcNet: procNet}
	if sudo {
		opt.Prefix = []string{remote.SudoPath, "-n", "--"}
	}
	if m := otherProcNet.FindStringSubmatch(procNet); m != nil {
		opt.Prefix = append(opt.Prefix, "/usr/bin/nsenter", "--net=/proc/"+m[1]+"/ns/net")
	}
	return opt
}

var otherProcNet = regexp.MustCompile(`^/proc/([0-9]+)/net/?$`)

// Gathered is the outcome of reading for a mode: the ruleset, or why it
// was not read (NotRead), or, in require mode, the error that makes the
// check UNKNOWN.
type Gathered struct {
	Ruleset *Ruleset
	NotRead string
	Err     error
}

// ReadForMode reads the ruleset as the mode asks.
func ReadForMode(ctx context.Context, host remote.Host, mode string, opt ReadOptions) Gathered {
	if mode == ModeSkip {
		return Gathered{}
	}
	rs, err := Read(ctx, host, opt)
	if err == nil {
		return Gathered{Ruleset: rs}
	}
	if mode == ModeRequire {
		return Gathered{Err: fmt.Errorf("the kernel's ruleset could not be read (--kernel=require): %w", err)}
	}
	why := err.Error()
	if errors.Is(err, ErrNotPermitted) {
		why = "nft needs CAP_NET_ADMIN: " + KernelFix
	}
	return Gathered{NotRead: why}
}
