package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/alecthomas/kong"
	nagios "github.com/atc0005/go-nagios"
)

// Version is the suite's version, set at build time with
// -ldflags "-X <module>/internal/plugin.Version=$(git describe)".
var Version = "dev"

// Checker is a plugin's CLI struct: kong fills its fields from the command
// line, then Check gathers, evaluates and returns a Result. Check must honour
// ctx: its deadline is a little before -t so the check can name the phase
// that stalled; Main's own watchdog fires at -t itself.
type Checker interface {
	Common() *CommonFlags
	Check(ctx context.Context) Result
}

// Info names and describes a plugin for --help.
type Info struct {
	Name        string
	Description string
	// PerfLabels are the perfdata labels the plugin prints in every state,
	// so that graphers keeping one series per label (RRD) see the same set
	// each run: one a result lacks (a bad argument, the -t watchdog, an
	// unreachable host) is printed as "U", the guidelines' "not measured".
	PerfLabels []string
}

// Main runs a plugin as a process: parse os.Args, check, print, exit.
func Main(info Info, cli Checker) {
	p := nagios.NewPlugin()
	defer p.ReturnCheckResults()
	p.SetOutputTarget(&trimTrailingSpace{w: os.Stdout})
	execute(p, info, cli, os.Args[1:], os.Stdout)
}

// Run is Main for tests: same parsing, timeout and rendering, but it writes to
// w and returns the exit code instead of exiting.
func Run(info Info, cli Checker, args []string, w io.Writer) int {
	p := nagios.NewPlugin()
	p.SetOutputTarget(&trimTrailingSpace{w: w})
	p.SkipOSExit()
	func() {
		defer p.ReturnCheckResults()
		execute(p, info, cli, args, w)
	}()
	return p.ExitStatusCode
}

// exitRequest is how kong's --help and --version end parsing without os.Exit.
type exitRequest struct{ code int }

func execute(p *nagios.Plugin, info Info, cli Checker, args []string, w io.Writer) {
	done, err := parse(info, cli, args, w)
	if done {
		p.ExitStatusCode = int(OK)
		return
	}
	if err != nil {
		render(p, withLabels(UnknownResult(fmt.Errorf("bad arguments: %v (see %s --help)", err, info.Name), ""), info.PerfLabels), 0)
		return
	}
	common := cli.Common()
	render(p, withLabels(checkWithTimeout(cli, common.Timeout.Duration()), info.PerfLabels), common.Verbose)
}

// withLabels adds every label of labels that r lacks, as "U".
func withLabels(r Result, labels []string) Result {
	for _, l := range labels {
		have := false
		for _, m := range r.Metrics {
			have = have || m.Label == l
		}
		if !have {
			r.Metric(Metric{Label: l, Unmeasured: true})
		}
	}
	return r
}

// parse fills cli from args. done is true when --help or --version printed
// something and the process should exit 0 without a check.
func parse(info Info, cli Checker, args []string, w io.Writer) (done bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitRequest); !ok {
				panic(r)
			}
			done = true
		}
	}()
	args, locators := extractExtraOpts(args)
	options := []kong.Option{
		kong.Name(info.Name),
		kong.Description(info.Description),
		kong.Writers(w, w),
		kong.Vars{"version": info.Name + " " + Version, "mandate": manDate(os.Getenv)},
		kong.Exit(func(code int) { panic(exitRequest{code}) }),
		kong.WithHyphenPrefixedParameters(true),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
	}
	if len(locators) > 0 {
		resolver, err := newExtraOptsResolver(info.Name, locators, os.Getenv)
		if err != nil {
			return false, err
		}
		options = append(options, kong.Resolvers(resolver))
	}
	parser, err := kong.New(cli, options...)
	if err != nil {
		return false, err // a bug in a CLI struct; reported as UNKNOWN
	}
	if err := refuseSecretsOnArgv(parser.Model, args); err != nil {
		return false, err
	}
	if _, err := parser.Parse(args); err != nil {
		return false, err
	}
	if cli.Common().Timeout == 0 {
		cli.Common().Timeout = Seconds(10 * time.Second)
	}
	return false, nil
}

// checkWithTimeout runs Check with a context that expires shortly before the
// plugin timeout, so the check's own I/O fails first and can say which phase
// stalled. If Check still has not returned at the timeout itself, the
// watchdog answers UNKNOWN: a plugin must never outlive -t.
func checkWithTimeout(cli Checker, timeout time.Duration) Result {
	// The margin must leave a loaded machine time to turn a phase error into
	// a Result (250 ms at least), but never eat more than half of -t.
	margin := min(max(timeout/10, 250*time.Millisecond), 500*time.Millisecond, timeout/2)
	ctx, cancel := context.WithTimeout(context.Background(), timeout-margin)
	defer cancel()

	results := make(chan Result, 1)
	panics := make(chan any, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				panics <- r
			}
		}()
		results <- cli.Check(ctx)
	}()

	watchdog := time.NewTimer(timeout)
	defer watchdog.Stop()
	select {
	case r := <-results:
		return r
	case r := <-panics:
		panic(r) // re-raised on the main goroutine so go-nagios reports it
	case <-watchdog.C:
		return UnknownResult(fmt.Errorf("plugin timed out after %s", timeout), "raise -t, or see which phase hangs with -v")
	}
}

// ErrTimeout can be wrapped by gatherers when ctx expired, so evaluate can
// tell a stall from a refusal.
var ErrTimeout = errors.New("timed out")
