package plugin

import (
	"strings"
	"testing"
)

// TestManPage: --man prints a roff page generated from the flags: every
// visible flag (with its short form, placeholder, choices and default),
// none of the hidden ones, the version in the header, and nothing that roff
// would take for a request at the start of a line.
func TestManPage(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1765065600") // 2025-12-07
	type manCLI struct {
		iniCLI
		Family string `enum:"auto,ipv4" default:"auto" help:".leading dot and a \\ backslash."`
		Secret string `hidden:"" help:"not for the page"`
	}
	cli := &manCLI{}
	var out strings.Builder
	code := Run(Info{Name: "check_fake", Description: "Checks a fake thing. More words."}, cli, []string{"--man"}, &out)
	page := out.String()
	if code != 0 {
		t.Fatalf("--man: exit %d\n%s", code, page)
	}
	for _, want := range []string{
		`.TH CHECK_FAKE 1 "2025-12-07" "check_fake ` + Version + `"`,
		"check_fake \\- Checks a fake thing\n",
		`\fB\-H\fR, \fB\-\-host\fR=\fISTRING\fR`,
		`\fB\-t\fR, \fB\-\-timeout\fR=\fISECONDS\fR`,
		`\fB\-\-extra\-opts\fR=\fI[SECTION][@FILE]\fR`,
		`\fB\-\-service\fR=\fISERVICE,...\fR`,
		"One of: auto, ipv4. Default: auto.",
		`\&.leading dot and a \e backslash.`,
		".SH EXIT STATUS",
		"/usr/share/doc/mailchecks/docs/" + "check_fake.md (usage examples", // split: no docs page check_fake.md exists
	} {
		if !strings.Contains(page, want) {
			t.Errorf("man page lacks %q:\n%s", want, page)
		}
	}
	for _, unwanted := range []string{"not for the page", "\\-\\-man", "\\-\\-secret"} {
		if strings.Contains(page, unwanted) {
			t.Errorf("man page shows hidden %q", unwanted)
		}
	}
	for i, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, "'") || (strings.HasPrefix(line, ".") && !strings.HasPrefix(line, ".TH") && !strings.HasPrefix(line, ".SH") &&
			!strings.HasPrefix(line, ".TP") && !strings.HasPrefix(line, ".B ") && !strings.HasPrefix(line, ".I ") && !strings.HasPrefix(line, ".PP")) {
			t.Errorf("line %d is an unexpected roff request: %q", i+1, line)
		}
	}
}

// TestBashCompletionScript: --bash-completion lists the visible flags, an
// enum's choices after its flag, and file completion after a PATH flag.
func TestBashCompletionScript(t *testing.T) {
	type compCLI struct {
		iniCLI
		Family string `enum:"auto,ipv4" default:"auto" help:"a choice"`
		CAFile string `name:"ca-file" placeholder:"PATH" help:"a file"`
		Secret string `hidden:"" help:"not listed"`
	}
	var out strings.Builder
	if code := Run(Info{Name: "check_fake", Description: "x"}, &compCLI{}, []string{"--bash-completion"}, &out); code != 0 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	script := out.String()
	for _, want := range []string{
		"complete -F _check_fake check_fake",
		`--family) COMPREPLY=($(compgen -W "auto ipv4" -- "$cur")); return ;;`,
		`--ca-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;`,
		"--extra-opts", "--host", "--service", "--timeout",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("completion script lacks %q:\n%s", want, script)
		}
	}
	_, list, _ := strings.Cut(script, `COMPREPLY=($(compgen -W "--`)
	list, _, _ = strings.Cut(list, "\n")
	if strings.Contains(list, "--secret") || strings.Contains(list, "--password") || strings.Contains(list, "--bash-completion") || strings.Contains(list, "--man") {
		t.Errorf("completion lists a hidden flag:\n%s", script)
	}
}
