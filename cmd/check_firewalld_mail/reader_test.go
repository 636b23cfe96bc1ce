package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// Issue 14: one reader of the permanent tree and service definitions that
// are not trusted blindly. Each case sets firewalld up, reloads it for
// real, takes firewall-cmd's and a probing client's answers as the
// reference and requires the plugin to agree.

// probeIMAPS is what the kernel does with a client's connection to 993
// over IPv4: "" when it is served, else why not.
func probeIMAPS(t *testing.T, client *sandbox.Client) string {
	t.Helper()
	got, err := client.Connect(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 700*time.Millisecond)
	switch {
	case err != nil:
		return err.Error()
	case got != "993":
		return "answered " + got
	}
	return ""
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Rules firewalld drops at load are not in the permanent view: a limit of
// "2/fortnight" and a log level "bogus" are skipped by firewalld 1.3 (no
// drift: the runtime lacks them too) and refuse the file on 2.x (the
// reload fails).
func TestRulesFirewalldDropsAreNotDrift(t *testing.T) {
	fw, client := startProbedFirewalld(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	path := filepath.Join(fw.ConfigDir, "zones", "public.xml")
	writeFile(t, path, `<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>Public</short>
  <service name="ssh"/>
  <service name="dhcpv6-client"/>
  <service name="imaps"/>
  <rule family="ipv4"><source address="192.0.2.1"/><service name="imap"/><accept><limit value="2/fortnight"/></accept></rule>
  <rule family="ipv4"><source address="192.0.2.2"/><service name="imap"/><log level="bogus"/><accept/></rule>
</zone>
`)
	version := strings.TrimSpace(mustOut(t, fw, "--version"))
	_, reloadErr := fw.Cmd("--reload")
	if strings.HasPrefix(version, "2.") {
		if reloadErr == nil {
			t.Fatalf("firewalld %s reloaded a zone with a bad limit", version)
		}
		// the running rules stay (imaps served); the file is judged as
		// far as a reader keeps it: no drift
		if why := probeIMAPS(t, client); why != "" {
			t.Fatalf("kernel refused imaps after the failed reload: %s", why)
		}
		code, out := check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet())
		expect(t, code, 1, out, "the next reload fails; at the next restart firewalld falls back to its stock config: "+path+": INVALID_LIMIT", "'drift'=0;")
		return
	}
	if reloadErr != nil {
		t.Fatalf("firewalld %s refused the reload: %v", version, reloadErr)
	}
	if rules := mustOut(t, fw, "--list-rich-rules"); strings.TrimSpace(rules) != "" {
		t.Fatalf("firewalld kept rules this test expects it to drop:\n%s", rules)
	}
	if why := probeIMAPS(t, client); why != "" {
		t.Fatalf("kernel refused imaps: %s", why)
	}
	code, out := check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet(), "-v")
	expect(t, code, 0, out, "runtime and permanent agree", "'drift'=0;", "so it is not judged")
}

// firewalld.conf naming a zone that does not exist: firewalld falls back
// to public (core/fw.py), and so does the permanent view.
func TestDefaultZoneFallback(t *testing.T) {
	fw, client := startProbedFirewalld(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	conf := filepath.Join(fw.ConfigDir, "firewalld.conf")
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "DefaultZone=") {
			lines[i] = "DefaultZone=nosuch"
		}
	}
	writeFile(t, conf, strings.Join(lines, "\n")+"\nDefaultZone=nosuch\n")
	mustCmd(t, fw, "--reload")
	if got := strings.TrimSpace(mustOut(t, fw, "--get-default-zone")); got != "public" {
		t.Fatalf("firewalld's default zone is %q, this test expects its fallback public", got)
	}
	if why := probeIMAPS(t, client); why != "" {
		t.Fatalf("kernel refused imaps: %s", why)
	}
	code, out := check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet())
	expect(t, code, 0, out, "imaps (993/tcp) open in runtime and permanent", "'drift'=0;")
}

// A required service that only the daemon still knows (its file deleted
// after the reload): its definition is asked over D-Bus while the bus is
// open (over firewall-cmd: --info-service). The reload would fail (the
// zone names a service with no file).
func TestServiceOnlyTheDaemonKnows(t *testing.T) {
	fw, client := startProbedFirewalld(t)
	svc := filepath.Join(fw.ConfigDir, "services", "mailadmin.xml")
	writeFile(t, svc, `<?xml version="1.0" encoding="utf-8"?>
<service><short>Mail admin</short><port protocol="tcp" port="993"/></service>
`)
	mustCmd(t, fw, "--reload")
	mustCmd(t, fw, "--permanent", "--add-service=mailadmin")
	mustCmd(t, fw, "--reload")
	if err := os.Remove(svc); err != nil {
		t.Fatal(err)
	}
	if why := probeIMAPS(t, client); why != "" {
		t.Fatalf("kernel refused 993: %s", why)
	}
	if _, err := fw.Cmd("--check-config"); err == nil {
		t.Fatal("firewall-cmd --check-config accepts a zone naming a deleted service")
	}
	for _, source := range []string{"dbus", "cli"} {
		code, out := check(t, fw, "--service", "mailadmin", "--proc-net", fw.ProcNet(), "--runtime-source", source, "-t", "60")
		expect(t, code, 1, out, "mailadmin (993/tcp) open in runtime", "the next reload fails")
		if strings.Contains(out, "cannot resolve") {
			t.Fatalf("%s: the daemon's definition was not used:\n%s", source, out)
		}
	}
}

// An admin's imaps.xml that no longer lists 993: firewalld opens 4190 for
// "imaps", 993 is refused, and the check says why.
func TestServiceOverrideDroppingThePort(t *testing.T) {
	fw, client := startProbedFirewalld(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	// The override edited, not yet reloaded: 993 is served now, the next
	// reload closes it.
	override := filepath.Join(fw.ConfigDir, "services", "imaps.xml")
	writeFile(t, override, `<?xml version="1.0" encoding="utf-8"?>
<service><short>IMAPS</short><port protocol="tcp" port="4190"/></service>
`)
	if why := probeIMAPS(t, client); why != "" {
		t.Fatalf("kernel refused imaps before the reload: %s", why)
	}
	code, out := check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet())
	expect(t, code, 1, out, "service imaps no longer opens 993/tcp after the next reload: "+override,
		"service imaps differs: runtime 993/tcp, permanent 4190/tcp")
	mustCmd(t, fw, "--reload")
	if why := probeIMAPS(t, client); why == "" {
		t.Fatal("kernel served imaps although the override opens 4190 only")
	}
	code, out = check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet())
	expect(t, code, 2, out, "service imaps no longer opens 993/tcp: "+override, "restore 993/tcp in "+override)
	if strings.Contains(out, "[OK] imaps") {
		t.Fatalf("imaps reported open:\n%s", out)
	}
}

// Port names as firewall-cmd stores them (port="imaps"): firewalld resolves
// them through /etc/services, so an accepting rule opens 993 and a
// rejecting one closes it.
func TestPortNamesResolveAsFirewalldResolvesThem(t *testing.T) {
	fw, client := startProbedFirewalld(t)
	cases := []struct {
		name  string
		setup [][]string
		open  bool
		code  int
		text  string
	}{
		{"accepting rich rule", [][]string{{`--add-rich-rule=rule family="ipv4" port port="imaps" protocol="tcp" accept`}}, true, 0,
			`imaps (993/tcp) open in runtime and permanent (rich rule 'rule family="ipv4" port port="imaps" protocol="tcp" accept')`},
		{"rejecting rich rule", [][]string{{"--add-service=imaps"}, {`--add-rich-rule=rule priority="-1" family="ipv4" port port="imaps" protocol="tcp" reject`}}, false, 2,
			`is closed in runtime zone public (rich rule 'rule priority="-1" family="ipv4" port port="imaps" protocol="tcp" reject')`},
		{"port element", [][]string{{"--add-port=imaps/tcp"}}, true, 0, "open in runtime and permanent (port 993/tcp)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(fw.ConfigDir, "zones", "public.xml")); err == nil {
				mustCmd(t, fw, "--permanent", "--load-zone-defaults=public")
			}
			for _, args := range c.setup {
				mustCmd(t, fw, append([]string{"--permanent"}, args...)...)
			}
			mustCmd(t, fw, "--reload")
			if why := probeIMAPS(t, client); (why == "") != c.open {
				t.Fatalf("kernel: served=%v (%s), the case expects served=%v", why == "", why, c.open)
			}
			code, out := check(t, fw, "--service", "imaps", "--family", "ipv4", "--proc-net", fw.ProcNet())
			expect(t, code, c.code, out, c.text)
			cliCode, cliOut := check(t, fw, "--service", "imaps", "--family", "ipv4", "--proc-net", fw.ProcNet(), "--runtime-source", "cli", "-t", "60")
			if cliCode != code {
				t.Fatalf("firewall-cmd and D-Bus disagree:\n%s\n---\n%s", out, cliOut)
			}
		})
	}
}
