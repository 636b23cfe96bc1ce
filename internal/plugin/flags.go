package plugin

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// CommonFlags are the flags every plugin in the suite takes. Embed it in the
// CLI struct with `embed:""`.
type CommonFlags struct {
	Timeout        Seconds          `short:"t" default:"10" placeholder:"SECONDS" help:"Give up after this long (seconds, or a Go duration such as 1500ms). Every dial, read, write and command honours it."`
	Verbose        int              `short:"v" type:"counter" help:"More detail in the long output (repeatable)."`
	Version        kong.VersionFlag `short:"V" help:"Print the version and exit."`
	Man            ManFlag          `hidden:"" help:"Print the man page (roff) and exit."`
	BashCompletion CompletionFlag   `hidden:"" name:"bash-completion" help:"Print a bash completion script and exit."`
	// ExtraOpts is documented here for --help only: parse takes every
	// --extra-opts out of the arguments before kong sees them (extraopts.go).
	ExtraOpts string `name:"extra-opts" placeholder:"[SECTION][@FILE]" help:"Read options from SECTION (default: the plugin's name) of an ini file (default: /etc/nagios/plugins.ini or the next of monitoring-plugins' usual places), one 'option = value' per line; the command line wins. Repeatable."`
}

// Common returns the common flags; embedding CommonFlags promotes it, so a CLI
// struct satisfies the Common half of Checker for free.
func (c *CommonFlags) Common() *CommonFlags { return c }

// Seconds is a timeout given as "10" (seconds, the Nagios convention), "2.5",
// or a Go duration such as "10s" or "1500ms".
type Seconds time.Duration

// UnmarshalText lets kong decode the flag.
func (s *Seconds) UnmarshalText(b []byte) error {
	d, err := ParseSeconds(string(b))
	if err != nil {
		return err
	}
	*s = Seconds(d)
	return nil
}

// Duration converts to time.Duration.
func (s Seconds) Duration() time.Duration { return time.Duration(s) }

// ParseSeconds parses a plain number of seconds or a Go duration; it must be
// positive.
func ParseSeconds(text string) (time.Duration, error) {
	text = strings.TrimSpace(text)
	var d time.Duration
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		d = time.Duration(f * float64(time.Second))
	} else if d, err = time.ParseDuration(text); err != nil {
		return 0, fmt.Errorf("%q is not a duration (want seconds, e.g. 10, or 10s, 1500ms)", text)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: the timeout must be positive", text)
	}
	return d, nil
}
