package plugin

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"
)

// extractExtraOpts removes every --extra-opts from args, as extra_opts.c
// does before getopt sees them: "--extra-opts=LOC", "--extra-opts LOC"
// (when LOC does not start with "-") and a bare "--extra-opts" (the default
// section in the default file). Arguments after "--" are left alone.
func extractExtraOpts(args []string) (rest, locators []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(rest, args[i:]...), locators
		case strings.HasPrefix(a, "--extra-opts="):
			locators = append(locators, strings.TrimPrefix(a, "--extra-opts="))
		case a == "--extra-opts":
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				locators = append(locators, args[i+1])
				i++
			} else {
				locators = append(locators, "")
			}
		default:
			rest = append(rest, a)
		}
	}
	return rest, locators
}

// extraOptsResolver gives kong the options of the --extra-opts sections for
// every flag the command line left unset (kong consults resolvers only
// then), so the command line wins, as it does with extra_opts.c, which puts
// the ini options first. Flags tagged `secret:""` (a password) are taken
// only from here, never from argv, and only from a file other users
// cannot read.
type extraOptsResolver struct {
	sections []iniSection
}

func newExtraOptsResolver(plugin string, locators []string, getenv func(string) string) (*extraOptsResolver, error) {
	r := &extraOptsResolver{}
	for _, loc := range locators {
		section, file := splitLocator(loc, plugin)
		if file == "" {
			var err error
			if file, err = findIniFile(getenv); err != nil {
				return nil, err
			}
		}
		sec, err := loadIniSection(file, section)
		if err != nil {
			return nil, err
		}
		r.sections = append(r.sections, sec)
	}
	return r, nil
}

// Validate refuses keys no flag has (extra_opts.c passes them on and
// getopt then refuses them) and secrets in a file others can read.
func (r *extraOptsResolver) Validate(app *kong.Application) error {
	flags := map[string]*kong.Flag{}
	for _, group := range app.AllFlags(false) {
		for _, f := range group {
			flags[f.Name] = f
			if f.Short != 0 {
				flags[string(f.Short)] = f
			}
		}
	}
	for _, sec := range r.sections {
		for _, o := range sec.Options {
			f, ok := flags[o.Key]
			if !ok || f.Name == "help" || f.Name == "extra-opts" {
				return fmt.Errorf("--extra-opts: %s [%s]: no option --%s (see --help)", sec.File, sec.Name, o.Key)
			}
			if f.Tag.Has("secret") && sec.Mode&0o004 != 0 {
				return fmt.Errorf("--extra-opts: %s holds %s but every user can read it (mode %04o): chmod o-r %s (e.g. 0640, group nagios)", sec.File, o.Key, sec.Mode, sec.File)
			}
		}
	}
	return nil
}

// Resolve gives the flag's value: the last line that names it (by long or
// short name), or every such line for a repeatable flag.
func (r *extraOptsResolver) Resolve(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
	var values []string
	for _, sec := range r.sections {
		for _, o := range sec.Options {
			if o.Key != flag.Name && (flag.Short == 0 || o.Key != string(flag.Short)) {
				continue
			}
			switch {
			case o.HasValue:
				values = append(values, o.Value)
			case flag.IsBool():
				values = append(values, "true")
			case flag.IsCounter():
				values = append(values, "1")
			default:
				return nil, fmt.Errorf("--extra-opts: %s [%s]: %s = needs a value", sec.File, sec.Name, o.Key)
			}
		}
	}
	switch {
	case len(values) == 0:
		return nil, nil
	case flag.IsSlice():
		// kong decodes a []any element by element (a []string it would
		// take as one value).
		all := make([]any, len(values))
		for i, v := range values {
			all[i] = v
		}
		return all, nil
	case flag.IsCounter():
		total := 0
		for _, v := range values {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("--extra-opts: %s = %s: want a count", flag.Name, v)
			}
			total += n
		}
		return total, nil
	}
	return values[len(values)-1], nil
}

// refuseSecretsOnArgv: a flag tagged `secret:""` comes from an
// --extra-opts file only; on the command line every user would see it
// (ps, /proc/PID/cmdline).
func refuseSecretsOnArgv(app *kong.Application, args []string) error {
	for _, group := range app.AllFlags(false) {
		for _, f := range group {
			if !f.Tag.Has("secret") {
				continue
			}
			for _, a := range args {
				if a == "--" {
					break
				}
				if a == "--"+f.Name || strings.HasPrefix(a, "--"+f.Name+"=") {
					return fmt.Errorf("--%s is never taken from the command line (every user can read it there): put %s = … in an --extra-opts file readable only by the monitoring user", f.Name, f.Name)
				}
			}
		}
	}
	return nil
}
