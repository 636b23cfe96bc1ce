package contrib

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// icingaArg is one entry of a CheckCommand's arguments dictionary.
type icingaArg struct {
	value, setIf string
	repeatKey    bool
}

// icingaCommand is what the tests need to know of one CheckCommand.
type icingaCommand struct {
	name, binary string
	args         map[string]*icingaArg
	vars         map[string]string // vars.x = … defaults, raw right-hand side
	env          map[string]string
	imports      []string // templates, e.g. the ITL's ipv4-or-ipv6
}

var (
	reObject  = regexp.MustCompile(`^object CheckCommand "([^"]+)" \{`)
	reBinary  = regexp.MustCompile(`command = \[ PluginDir \+ "/([^"]+)" \]`)
	reArgKey  = regexp.MustCompile(`^\t\t"([^"]+)" = \{`)
	reAttr    = regexp.MustCompile(`^\t\t\t(value|set_if|repeat_key) = (.*)$`)
	reVar     = regexp.MustCompile(`^\tvars\.([a-z0-9_]+) = (.*)$`)
	reImport  = regexp.MustCompile(`^\timport "([^"]+)"$`)
	reEnv     = regexp.MustCompile(`^\t\t"([A-Z_]+)" = "(.*)"$`)
	reMacro   = regexp.MustCompile(`\$([a-z0-9_.]+)\$`)
	reVarsSet = regexp.MustCompile(`vars\.([a-z0-9_]+) =`)
)

// parseCommands reads contrib/icinga/commands.conf. It is a line parser for
// this file's layout (one attribute per line, tabs), not for Icinga's
// language; `icinga2 daemon -C` checks the language.
func parseCommands(t *testing.T, text string) map[string]*icingaCommand {
	t.Helper()
	cmds := map[string]*icingaCommand{}
	var cur *icingaCommand
	var arg *icingaArg
	section := ""
	for _, line := range strings.Split(text, "\n") {
		switch {
		case reObject.MatchString(line):
			cur = &icingaCommand{name: reObject.FindStringSubmatch(line)[1], args: map[string]*icingaArg{},
				vars: map[string]string{}, env: map[string]string{}}
			cmds[cur.name] = cur
		case cur == nil:
		case reImport.MatchString(line):
			cur.imports = append(cur.imports, reImport.FindStringSubmatch(line)[1])
		case reBinary.MatchString(line):
			cur.binary = reBinary.FindStringSubmatch(line)[1]
		case line == "\targuments = {":
			section = "arguments"
		case line == "\tenv = {":
			section = "env"
		case line == "\t}":
			section = ""
		case section == "arguments" && reArgKey.MatchString(line):
			arg = &icingaArg{}
			cur.args[reArgKey.FindStringSubmatch(line)[1]] = arg
		case section == "arguments" && reAttr.MatchString(line):
			m := reAttr.FindStringSubmatch(line)
			switch m[1] {
			case "value":
				arg.value = strings.Trim(m[2], `"`)
			case "set_if":
				arg.setIf = strings.Trim(m[2], `"`)
			case "repeat_key":
				arg.repeatKey = m[2] == "true"
			}
		case section == "env" && reEnv.MatchString(line):
			m := reEnv.FindStringSubmatch(line)
			cur.env[m[1]] = m[2]
		case reVar.MatchString(line):
			m := reVar.FindStringSubmatch(line)
			cur.vars[m[1]] = m[2]
		}
	}
	return cmds
}

// The CheckCommand for each plugin and the prefix of its custom variables.
var icingaNames = map[string]struct{ command, prefix string }{
	"check_firewalld_mail":   {"firewalld_mail", "firewalld_mail_"},
	"check_fail2ban_trusted": {"fail2ban_trusted", "fail2ban_trusted_"},
	"check_imaps_tls":        {"imaps_tls", "imaps_tls_"},
	"check_smtp_tls":         {"smtp_tls", "smtp_tls_"},
}

// TestIcingaCommandsMatchPlugins keeps commands.conf and the plugins' flags in
// step: every argument is a real flag of the right kind (switch → set_if,
// value → value, repeatable → repeat_key), and every flag of the plugin
// (other than -h, -V, -v) can be set from Icinga.
func TestIcingaCommandsMatchPlugins(t *testing.T) {
	cmds := parseCommands(t, readFile(t, "icinga/commands.conf"))
	if len(cmds) != len(plugins) {
		t.Errorf("commands.conf has %d CheckCommands, want one per plugin (%v)", len(cmds), plugins)
	}
	for _, p := range plugins {
		t.Run(p, func(t *testing.T) {
			names := icingaNames[p]
			cmd := cmds[names.command]
			if cmd == nil {
				t.Fatalf("no object CheckCommand %q in commands.conf", names.command)
			}
			if cmd.binary != p {
				t.Errorf("CheckCommand %q runs %q, want PluginDir + \"/%s\"", cmd.name, cmd.binary, p)
			}
			flags := helpFlags(t, pluginBin(t, p))
			covered := map[string]bool{}
			for key, a := range cmd.args {
				f := flags[key]
				if f == nil {
					t.Errorf("argument %q is not a flag of %s --help", key, p)
					continue
				}
				covered[f.long] = true
				switch {
				case f.takesValue && a.value == "":
					t.Errorf("argument %q: %s takes a value (%s=…) but has no `value`", key, p, f.long)
				case !f.takesValue && a.setIf == "":
					t.Errorf("argument %q: %s is a switch, wire it with `set_if`", key, p)
				}
				if f.repeatable != a.repeatKey {
					t.Errorf("argument %q: repeatable in --help is %v, repeat_key is %v", key, f.repeatable, a.repeatKey)
				}
				for _, m := range reMacro.FindAllStringSubmatch(a.value+a.setIf, -1) {
					if !strings.HasPrefix(m[1], names.prefix) {
						t.Errorf("argument %q uses $%s$; custom variables must start with %q", key, m[1], names.prefix)
					}
				}
			}
			for long, f := range flags {
				if long != f.long || commonFlags[long] || argvRefusedFlags[long] {
					continue
				}
				if !covered[long] {
					t.Errorf("%s has flag %s (%s) that commands.conf cannot set", p, long, f.help)
				}
			}
			if a := cmd.args["-t"]; a == nil || a.value != "$"+names.prefix+"timeout$" {
				t.Errorf("-t must be wired to $%stimeout$", names.prefix)
			}
			if cmd.vars[names.prefix+"timeout"] == "" || !strings.Contains(readFile(t, "icinga/commands.conf"), "timeout = 30s") {
				t.Errorf("want vars.%stimeout and a command timeout above it", names.prefix)
			}
		})
	}

	t.Run("imaps password only in env", func(t *testing.T) {
		cmd := cmds["imaps_tls"]
		if cmd == nil {
			t.Fatal("no imaps_tls")
		}
		if cmd.env["IMAP_PASSWORD"] != "$imaps_tls_password$" {
			t.Errorf(`want env = { "IMAP_PASSWORD" = "$imaps_tls_password$" }, got %v`, cmd.env)
		}
		for key, a := range cmd.args {
			if strings.Contains(a.value, "imaps_tls_password$") {
				t.Errorf("argument %q puts the password on the command line", key)
			}
		}
		// The ITL's convention for the host address (imap, ssl_cert, tcp).
		if cmd.vars["imaps_tls_host"] != `"$check_address$"` || strings.Join(cmd.imports, ",") != "ipv4-or-ipv6" {
			t.Errorf(`want import "ipv4-or-ipv6" and vars.imaps_tls_host = "$check_address$", got %s`, cmd.vars["imaps_tls_host"])
		}
		if cmd.vars["check_ipv4"] != `"$imaps_tls_ipv4$"` || cmd.vars["check_ipv6"] != `"$imaps_tls_ipv6$"` {
			t.Errorf("want check_ipv4/check_ipv6 to follow imaps_tls_ipv4/imaps_tls_ipv6, got %q %q", cmd.vars["check_ipv4"], cmd.vars["check_ipv6"])
		}
	})

	// The services default is spelled out (see commands.conf): keep it equal
	// to the plugin's own.
	t.Run("firewalld default services", func(t *testing.T) {
		flags := helpFlags(t, pluginBin(t, "check_firewalld_mail"))
		m := regexp.MustCompile(`default: ([a-z0-9, -]+)\)`).FindStringSubmatch(flags["--service"].help)
		if m == nil {
			t.Fatalf("no default list in --service help %q", flags["--service"].help)
		}
		want := `[ "` + strings.Join(strings.Split(m[1], ", "), `", "`) + `" ]`
		if got := cmds["firewalld_mail"].vars["firewalld_mail_services"]; got != want {
			t.Errorf("vars.firewalld_mail_services = %s, the plugin's default is %s", got, want)
		}
	})
}

// TestIcingaExamplesUseKnownVars catches what Icinga itself cannot: a custom
// variable in an example with a typo (vars.imaps_tls_sin) is valid config that
// silently does nothing.
func TestIcingaExamplesUseKnownVars(t *testing.T) {
	text := readFile(t, "icinga/commands.conf")
	known := map[string]bool{}
	for _, m := range reMacro.FindAllStringSubmatch(text, -1) {
		known[m[1]] = true
	}
	// The ITL's built-in commands (cluster-zone for the agent health check)
	// read their own vars.
	for _, m := range reVarsSet.FindAllStringSubmatch(readFile(t, "/usr/share/icinga2/include/command-icinga.conf"), -1) {
		known[m[1]] = true
	}
	for _, file := range []string{"icinga/services.conf.example", "nrpe/services-nrpe.conf.example"} {
		for _, m := range reVarsSet.FindAllStringSubmatch(readFile(t, file), -1) {
			v := m[1]
			if strings.HasPrefix(v, "mail_") || strings.HasPrefix(v, "nrpe_") {
				continue // host variables of the example; the ITL's nrpe command
			}
			if !known[v] {
				t.Errorf("%s sets vars.%s, which no CheckCommand in commands.conf uses", file, v)
			}
		}
	}
	nrpeVars := map[string]bool{}
	for _, m := range reMacro.FindAllStringSubmatch(readFile(t, "/usr/share/icinga2/include/command-plugins.conf"), -1) {
		nrpeVars[m[1]] = true
	}
	for _, m := range reVarsSet.FindAllStringSubmatch(readFile(t, "nrpe/services-nrpe.conf.example"), -1) {
		if strings.HasPrefix(m[1], "nrpe_") && !nrpeVars[m[1]] {
			t.Errorf("services-nrpe.conf.example sets vars.%s, unknown to the ITL's nrpe command", m[1])
		}
	}
}

// icingaHosts are the hosts the examples are validated with: one with an
// Icinga agent, one with NRPE, one checked over SSH. They set every host variable the examples read.
const icingaHosts = `
object Host "mail.example.org" {
	check_command = "hostalive"
	address = "192.0.2.25"
	vars.mail_server = true
	vars.mail_agent = "icinga"
	vars.mail_trusted_ips = [ "203.0.113.7", "198.51.100.10" ]
	vars.mail_trusted_dns = "home.example.net"
	vars.mail_extra_ports = [ "4190/tcp" ]
	vars.mail_imap_name = "mail.example.org"
	vars.mail_imap_starttls = true
	vars.mail_smtp_name = "mail.example.org"
	vars.mail_smtps = true
}

object Host "mail2.example.org" {
	check_command = "hostalive"
	address = "192.0.2.26"
	vars.mail_server = true
	vars.mail_agent = "nrpe"
}

object Host "mail3.example.org" {
	check_command = "hostalive"
	address = "192.0.2.27"
	vars.mail_server = true
	vars.mail_agent = "ssh"
	vars.mail_trusted_ips = [ "203.0.113.7" ]
}
`

// wantServices is how many services the apply rules must create for
// icingaHosts: 4 + the zone health check + smtp-submission-tls and
// smtps-tls on the agent host, imaps-tls + smtp-submission-tls + 4 NRPE ones
// on the second, imaps-tls + smtp-submission-tls + firewalld and fail2ban
// over SSH on the third. An assign rule that matches nothing is valid
// config, so count.
const wantServices = 17

// icingaConfig writes a complete configuration around commands.conf and the
// examples (possibly edited by mutate) and returns the main file. Objects
// that use command_endpoint must live in a zone, hence include_zones.
func icingaConfig(t *testing.T, dir string, mutate func(file, text string) string) string {
	t.Helper()
	if mutate == nil {
		mutate = func(_, text string) string { return text }
	}
	copyTo := func(src, dst string) {
		writeFile(t, dst, mutate(src, readFile(t, src)), 0o644)
	}
	copyTo("icinga/commands.conf", filepath.Join(dir, "commands.conf"))
	copyTo("icinga/services.conf.example", filepath.Join(dir, "zones", "master", "services.conf"))
	copyTo("nrpe/services-nrpe.conf.example", filepath.Join(dir, "zones", "master", "services-nrpe.conf"))
	writeFile(t, filepath.Join(dir, "zones", "master", "hosts.conf"), icingaHosts, 0o644)
	main := filepath.Join(dir, "icinga2.conf")
	writeFile(t, main, `
include <itl>
include <plugins>

const PluginDir = "`+pluginDir+`"
const NodeName = "master.example.org"
object Endpoint NodeName { }
object Zone "master" { endpoints = [ NodeName ] }

/* The mail host's agent, as `+"`icinga2 node wizard`"+` names it. */
object Endpoint "mail.example.org" { host = "192.0.2.25" }
object Zone "mail.example.org" { endpoints = [ "mail.example.org" ]; parent = "master" }

include "`+filepath.Join(dir, "commands.conf")+`"
include_zones "mailchecks", "`+filepath.Join(dir, "zones")+`"
`, 0o644)
	return main
}

// validate runs `icinga2 daemon -C` as Debian's icinga2 does (it drops to
// nagios), with a private cache dir.
func validate(t *testing.T, dir, main string) result {
	t.Helper()
	cache := filepath.Join(dir, "cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	chownNagios(t, cache)
	return run(t, false, nil, "", requireTool(t, "icinga2"), "daemon", "-C", "-c", main, "-D", "Configuration.CacheDir="+cache)
}

// TestIcingaConfigValidates runs commands.conf and both examples through the
// real Icinga 2 config compiler, and checks that it rejects broken variants
// (so a passing run means something).
func TestIcingaConfigValidates(t *testing.T) {
	sandbox.FailUnlessRoot(t, "namespaces, sudo -U, daemons dropping to nagios")
	dir := worldDir(t)
	r := validate(t, dir, icingaConfig(t, dir, nil))
	if r.code != 0 {
		t.Fatalf("icinga2 daemon -C exited %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if want := "Instantiated " + strconv.Itoa(wantServices) + " Services"; !strings.Contains(r.stdout, want) {
		t.Errorf("want %q (every apply rule matched its host); output:\n%s", want, r.stdout)
	}
	// The agent's two services depend on its zone health check.
	if want := "Instantiated 2 Dependencies"; !strings.Contains(r.stdout, want) {
		t.Errorf("want %q (firewalld-mail and fail2ban-trusted on mail-agent-health); output:\n%s", want, r.stdout)
	}

	broken := []struct {
		name, file, old, new, want string
	}{
		{"typo in an argument attribute", "icinga/commands.conf", `set_if = "$imaps_tls_starttls$"`, `set_iff = "$imaps_tls_starttls$"`, "Invalid attribute: set_iff"},
		{"repeat_key not a boolean", "icinga/commands.conf", "repeat_key = true", `repeat_key = "yes"`, "repeat_key"},
		{"unknown CheckCommand in an apply rule", "icinga/services.conf.example", `check_command = "imaps_tls"`, `check_command = "imaps_tsl"`, "Object 'imaps_tsl' of type 'CheckCommand' does not exist"},
		{"syntax error in an example", "icinga/services.conf.example", "vars.fail2ban_trusted_ips = host.vars.mail_trusted_ips\n", "vars.fail2ban_trusted_ips = host.vars.mail_trusted_ips +\n", "syntax error"},
		// Why the CheckCommands live in one place only (the global zone;
		// the packages put none where Icinga reads them): a second copy,
		// here beside the services, stops Icinga.
		{"CheckCommands in two places", "icinga/services.conf.example", `apply Service "firewalld-mail" {`,
			readFile(t, "icinga/commands.conf") + "\n" + `apply Service "firewalld-mail" {`, "re-defined"},
	}
	for _, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			if !strings.Contains(readFile(t, b.file), b.old) {
				t.Fatalf("%s no longer contains %q: update this test", b.file, b.old)
			}
			dir := worldDir(t)
			main := icingaConfig(t, dir, func(file, text string) string {
				if file == b.file {
					return strings.Replace(text, b.old, b.new, 1)
				}
				return text
			})
			r := validate(t, dir, main)
			if r.code == 0 {
				t.Fatalf("icinga2 accepted the broken config (%s → %s)", b.old, b.new)
			}
			if !strings.Contains(r.stdout+r.stderr, b.want) {
				t.Errorf("icinga2 failed, but without %q:\n%s%s", b.want, r.stdout, r.stderr)
			}
		})
	}
}
