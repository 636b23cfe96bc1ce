package plugin

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// ManFlag prints the plugin's man page (roff, section 1) and exits. It is
// how the packages get their man pages: packaging/build.sh runs each built
// plugin with --man, so the page is generated from the same kong flag
// definitions as --help and can never disagree with them. Hidden: it is
// for the build, not for operators.
type ManFlag bool

// BeforeReset writes the page; kong calls it when --man is given.
func (ManFlag) BeforeReset(app *kong.Kong, vars kong.Vars) error {
	writeManPage(app.Stdout, app.Model, vars["version"], vars["mandate"])
	app.Exit(0)
	return nil
}

// manDate is the page's date: the build's SOURCE_DATE_EPOCH when set (so
// packages are reproducible), else today.
func manDate(getenv func(string) string) string {
	var epoch int64
	if _, err := fmt.Sscan(getenv("SOURCE_DATE_EPOCH"), &epoch); err == nil && epoch > 0 {
		return time.Unix(epoch, 0).UTC().Format("2006-01-02")
	}
	return time.Now().UTC().Format("2006-01-02")
}

// writeManPage renders the kong model as a man page: NAME, SYNOPSIS,
// DESCRIPTION, OPTIONS (every visible flag with its placeholder, choices
// and default), EXIT STATUS, FILES, SEE ALSO.
func writeManPage(w io.Writer, app *kong.Application, version, date string) {
	name := app.Name
	fmt.Fprintf(w, ".TH %s 1 %q %q \"Monitoring Plugins\"\n", strings.ToUpper(roff(name)), date, roff(version))
	fmt.Fprintf(w, ".SH NAME\n%s \\- %s\n", roff(name), roff(firstSentence(app.Help)))
	fmt.Fprintf(w, ".SH SYNOPSIS\n.B %s\n", roff(name))
	var required []string
	for _, group := range app.AllFlags(true) {
		for _, f := range group {
			if f.Required {
				required = append(required, fmt.Sprintf("\\fB\\-\\-%s\\fR=\\fI%s\\fR", roff(f.Name), roff(f.FormatPlaceHolder())))
			}
		}
	}
	fmt.Fprintf(w, "%s\n[\\fIOPTIONS\\fR]\n", strings.Join(required, " "))
	fmt.Fprintf(w, ".SH DESCRIPTION\n%s\n", roff(app.Help))
	fmt.Fprintf(w, ".PP\nA Nagios/Icinga plugin: the first line is STATE: summary, the\nlong output one finding per line (a fix, where there is one, on an\nindented line under it), then perfdata after |.\n")
	fmt.Fprintf(w, ".SH OPTIONS\n")
	for _, group := range app.AllFlags(true) {
		for _, f := range group {
			writeManFlag(w, f)
		}
	}
	fmt.Fprint(w, `.SH EXIT STATUS
.TP
.B 0
OK: everything checked is as it should be.
.TP
.B 1
WARNING.
.TP
.B 2
CRITICAL.
.TP
.B 3
UNKNOWN: bad arguments, a file or daemon that could not be read, a timeout;
never OK about something that was not verified.
.SH FILES
.TP
.I /etc/nagios/plugins.ini
The first of monitoring-plugins' ini files that exists (also
/usr/local/nagios/etc/plugins.ini, /usr/local/etc/nagios/plugins.ini,
/etc/opt/nagios/plugins.ini, /etc/nagios-plugins.ini,
/usr/local/etc/nagios-plugins.ini, /etc/opt/nagios-plugins.ini, after the
directories in NAGIOS_CONFIG_PATH) is read by a bare \fB\-\-extra\-opts\fR.
`)
	// The plugin's page (usage examples, states, troubleshooting) is
	// installed under docs/ beside the README (packaging/nfpm.yaml).
	fmt.Fprintf(w, ".SH SEE ALSO\n/usr/share/doc/mailchecks/docs/%s.md (usage examples, states, troubleshooting), /usr/share/doc/mailchecks/README.md, /usr/share/mailchecks/ (Icinga 2, NRPE, sudoers and polkit examples)\n", roff(name))
}

func writeManFlag(w io.Writer, f *kong.Flag) {
	var head strings.Builder
	if f.Short != 0 {
		fmt.Fprintf(&head, "\\fB\\-%s\\fR, ", roff(string(f.Short)))
	}
	fmt.Fprintf(&head, "\\fB\\-\\-%s\\fR", roff(manFlagName(f)))
	if !f.IsBool() && !f.IsCounter() {
		fmt.Fprintf(&head, "=\\fI%s\\fR", roff(f.FormatPlaceHolder()))
	}
	fmt.Fprintf(w, ".TP\n%s\n%s", head.String(), roff(f.Help))
	if f.Enum != "" {
		fmt.Fprintf(w, " One of: %s.", roff(strings.Join(f.EnumSlice(), ", ")))
	}
	if f.HasDefault && f.Default != "" && !f.IsBool() {
		fmt.Fprintf(w, " Default: %s.", roff(f.Default))
	}
	if (f.IsSlice() || f.IsCounter()) && !strings.Contains(strings.ToLower(f.Help), "repeatable") {
		fmt.Fprint(w, " Repeatable.")
	}
	fmt.Fprintln(w)
}

// manFlagName is the flag's name as --help shows it: kong's negatable
// booleans read --[no-]name (tag negatable:"") or --name/--other.
func manFlagName(f *kong.Flag) string {
	switch {
	case !f.IsBool() || f.Tag.Negatable == "":
		return f.Name
	case f.Tag.Negatable == "_":
		return "[no-]" + f.Name
	default:
		return f.Name + "/" + f.Tag.Negatable
	}
}

// firstSentence is the part of the description before the first ". ",
// for the NAME line.
func firstSentence(s string) string {
	s = strings.TrimSpace(strings.SplitN(s, "\n", 2)[0])
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// roff escapes text for a man page: backslashes, hyphens (so that they
// print as ASCII minus and can be searched and pasted), and a leading
// dot or quote that roff would take for a request.
func roff(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`, "\n", " ").Replace(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
