package plugin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// iniCLI is a plugin with the kinds of flags the suite has: a required
// string, a repeatable one, a bool, a counter (-v), a short flag (-t) and a
// secret.
type iniCLI struct {
	CommonFlags `embed:""`
	Host        string   `short:"H" required:"" help:"a host"`
	Service     []string `help:"repeatable"`
	Sudo        bool     `help:"a bool"`
	Password    string   `secret:"" help:"a secret"`
}

func (c *iniCLI) Check(context.Context) Result { return okResult() }

func runIni(t *testing.T, args ...string) (*iniCLI, int, string) {
	t.Helper()
	cli := &iniCLI{}
	var out bytes.Buffer
	code := Run(Info{Name: "check_fake", Description: "a fake"}, cli, args, &out)
	return cli, code, out.String()
}

func writeIni(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mailchecks.ini")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return path
}

const sampleIni = `# monitoring-plugins style
; both comment forms
[check_fake]
host = default.example.org
t = 7

[ office ]
H=office.example.org
service = imaps
service = smtp
sudo =
verbose = 2
`

func TestExtraOptsSections(t *testing.T) {
	ini := writeIni(t, sampleIni, 0o644)
	// The default section is the plugin's name.
	cli, code, out := runIni(t, "--extra-opts=@"+ini)
	if code != 0 || cli.Host != "default.example.org" || cli.Timeout.Duration() != 7*time.Second || cli.Sudo {
		t.Fatalf("[check_fake]: code %d, host %q, -t %v, sudo %v\n%s", code, cli.Host, cli.Timeout.Duration(), cli.Sudo, out)
	}
	// A named section; the separate-argument form; repeatable, bool and
	// counter options; the timeout falls back to its default.
	cli, code, out = runIni(t, "--extra-opts", "office@"+ini)
	if code != 0 || cli.Host != "office.example.org" || !slices.Equal(cli.Service, []string{"imaps", "smtp"}) || !cli.Sudo || cli.Verbose != 2 || cli.Timeout.Duration() != 10*time.Second {
		t.Fatalf("[office]: code %d, %+v\n%s", code, cli, out)
	}
	// The command line wins over the file.
	cli, code, out = runIni(t, "-H", "cli.example.org", "--extra-opts=office@"+ini, "--service", "pop3s")
	if code != 0 || cli.Host != "cli.example.org" || !slices.Equal(cli.Service, []string{"pop3s"}) || !cli.Sudo {
		t.Fatalf("command line vs file: code %d, %+v\n%s", code, cli, out)
	}
}

func TestExtraOptsSearchPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plugins.ini"), []byte(sampleIni), 0o640); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NAGIOS_CONFIG_PATH", "/nonexistent:"+dir)
	// A bare --extra-opts followed by a flag: default section, default file.
	cli, code, out := runIni(t, "--extra-opts", "-t", "3")
	if code != 0 || cli.Host != "default.example.org" || cli.Timeout.Duration() != 3*time.Second {
		t.Fatalf("bare --extra-opts: code %d, %+v\n%s", code, cli, out)
	}
	if _, code, out := runIni(t, "--extra-opts=office"); code != 0 || !strings.HasPrefix(out, "OK") {
		t.Fatalf("--extra-opts=office from the search path: code %d\n%s", code, out)
	}
	// With no file anywhere, UNKNOWN names where it looked. The fixed list
	// is the host's own: asserted only when none of it exists here.
	t.Setenv("NAGIOS_CONFIG_PATH", t.TempDir())
	if _, err := findIniFile(os.Getenv); err == nil {
		t.Log("an ini file exists on this host's search path: the not-found case is not asserted")
		return
	}
	_, code, out = runIni(t, "--extra-opts")
	if code != 3 || !strings.Contains(out, "no ini file found") || !strings.Contains(out, "/etc/nagios/plugins.ini") {
		t.Errorf("no ini file anywhere: code %d\n%s", code, out)
	}
}

func TestExtraOptsRefusals(t *testing.T) {
	good := writeIni(t, sampleIni, 0o644)
	fifo := filepath.Join(t.TempDir(), "fifo.ini")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string // in the first line
	}{
		{"missing section", []string{"--extra-opts=nosuch@" + good}, "has no section [nosuch]"},
		{"missing file", []string{"--extra-opts=@/nonexistent/x.ini"}, "cannot read /nonexistent/x.ini: no such file"},
		{"not a regular file", []string{"--extra-opts=@" + fifo}, "not a regular file"},
		{"unknown option", []string{"--extra-opts=@" + writeIni(t, "[check_fake]\nhost=x\nbogus=1\n", 0o600)}, "no option --bogus"},
		{"option before a section", []string{"--extra-opts=@" + writeIni(t, "host=x\n[check_fake]\n", 0o600)}, "before the first [section]"},
		{"no equals sign", []string{"--extra-opts=@" + writeIni(t, "[check_fake]\nhost\n", 0o600)}, "want key = value"},
		{"string without value", []string{"--extra-opts=@" + writeIni(t, "[check_fake]\nhost =\n", 0o600)}, "host = needs a value"},
		{"world-writable", []string{"--extra-opts=@" + writeIni(t, "[check_fake]\nhost=x\n", 0o666)}, "writable by every user"},
		{"secret readable by all", []string{"--extra-opts=@" + writeIni(t, "[check_fake]\nhost=x\npassword=s3cret\n", 0o644)}, "chmod o-r"},
		{"secret on argv", []string{"-H", "x", "--password=s3cret"}, "never taken from the command line"},
		{"secret on argv, separate", []string{"-H", "x", "--password", "s3cret"}, "never taken from the command line"},
	}
	for _, c := range cases {
		_, code, out := runIni(t, c.args...)
		first, _, _ := strings.Cut(out, "\n")
		if code != 3 || !strings.HasPrefix(first, "UNKNOWN: bad arguments: ") || !strings.Contains(first, c.want) {
			t.Errorf("%s: code %d, want 3 with %q in the first line:\n%s", c.name, code, c.want, out)
		}
		if strings.Contains(out, "s3cret") {
			t.Errorf("%s: the secret is in the output:\n%s", c.name, out)
		}
	}
}

func TestExtraOptsSecretFromPrivateFile(t *testing.T) {
	ini := writeIni(t, "[check_fake]\nhost = x\npassword = s3cret = with equals \n", 0o640)
	cli, code, out := runIni(t, "--extra-opts=@"+ini)
	if code != 0 || cli.Password != "s3cret = with equals" {
		t.Fatalf("secret from a 0640 file: code %d, password %q\n%s", code, cli.Password, out)
	}
}

func TestExtractExtraOpts(t *testing.T) {
	rest, locs := extractExtraOpts([]string{"--extra-opts=a@f", "-H", "x", "--extra-opts", "b", "--extra-opts", "--sudo", "--", "--extra-opts=c"})
	if !slices.Equal(rest, []string{"-H", "x", "--sudo", "--", "--extra-opts=c"}) || !slices.Equal(locs, []string{"a@f", "b", ""}) {
		t.Fatalf("rest %q, locators %q", rest, locs)
	}
}
