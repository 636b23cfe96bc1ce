package plugin

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
)

// CompletionFlag prints a bash completion script for the plugin and exits;
// packaging/build.sh ships its output in
// /usr/share/bash-completion/completions/. Generated from the same kong
// model as --help and the man page. Hidden: it is for the build.
type CompletionFlag bool

// BeforeReset writes the script; kong calls it when --bash-completion is given.
func (CompletionFlag) BeforeReset(app *kong.Kong) error {
	writeBashCompletion(app.Stdout, app.Model)
	app.Exit(0)
	return nil
}

// writeBashCompletion completes the visible long flags, the choices of an
// enum flag, and file names after a flag whose placeholder is a path.
func writeBashCompletion(w io.Writer, app *kong.Application) {
	fn := "_" + strings.NewReplacer("-", "_", ".", "_").Replace(app.Name)
	var flags []string
	enums := map[string]string{}
	var paths []string
	for _, group := range app.AllFlags(true) {
		for _, f := range group {
			if f.Tag.Has("secret") {
				continue // refused on the command line (extraopts.go)
			}
			name := "--" + f.Name
			flags = append(flags, name)
			switch ph := f.FormatPlaceHolder(); {
			case f.Enum != "":
				enums[name] = strings.Join(f.EnumSlice(), " ")
			case ph == "PATH" || ph == "FILE" || ph == "DIR":
				paths = append(paths, name)
			}
		}
	}
	sort.Strings(flags)
	sort.Strings(paths)
	fmt.Fprintf(w, "# bash completion for %s (generated: %s --bash-completion)\n", app.Name, app.Name)
	fmt.Fprintf(w, "%s() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n\tcase $prev in\n", fn)
	var enumFlags []string
	for k := range enums {
		enumFlags = append(enumFlags, k)
	}
	sort.Strings(enumFlags)
	for _, k := range enumFlags {
		fmt.Fprintf(w, "\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", k, enums[k])
	}
	if len(paths) > 0 {
		fmt.Fprintf(w, "\t%s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", strings.Join(paths, "|"))
	}
	fmt.Fprintf(w, "\tesac\n\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n}\n", strings.Join(flags, " "))
	fmt.Fprintf(w, "complete -F %s %s\n", fn, app.Name)
}
