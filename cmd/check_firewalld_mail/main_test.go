package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// These tests drive the plugin exactly as the binary does (flags, rendering,
// exit code) against a real firewalld in its own namespaces.

func startFirewalld(t *testing.T) *sandbox.Firewalld {
	t.Helper()
	fw := sandbox.FirewalldForTest(t) // traversable: runAsNobody reaches the bus
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", fw.BusAddress)
	return fw
}

func mustCmd(t *testing.T, fw *sandbox.Firewalld, args ...string) {
	t.Helper()
	if out, err := fw.Cmd(args...); err != nil {
		t.Fatalf("firewall-cmd %v: %v %s", args, err, out)
	}
}

// check runs the plugin with the sandbox's config dirs and returns exit code
// and output.
func check(t *testing.T, fw *sandbox.Firewalld, args ...string) (int, string) {
	t.Helper()
	// Both families, whatever addresses the machine running the test has.
	args = append([]string{"--config-dir", fw.ConfigDir, "--default-config-dir", fw.DefaultDir, "--family", "both"}, args...)
	// The kernel read follows --proc-net into firewalld's namespace;
	// without it, it would read the test machine's own ruleset.
	if !slices.Contains(args, "--proc-net") && !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--kernel") }) {
		args = append(args, "--kernel=skip")
	}
	var out bytes.Buffer
	code := plugin.Run(plugin.Info{Name: "check_firewalld_mail"}, &cli{}, args, &out)
	return code, out.String()
}

func expect(t *testing.T, code, wantCode int, out string, wants ...string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("exit %d, want %d; output:\n%s", code, wantCode, out)
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

var mailServices = []string{"smtp", "smtps", "smtp-submission", "imap", "imaps", "http", "https"}

// TestIncidentReloadWipesRuntimeOnlyServices replays the outage: services
// added without --permanent, then a reload.
func TestIncidentReloadWipesRuntimeOnlyServices(t *testing.T) {
	fw := startFirewalld(t)

	// The operator opens everything permanently but imaps, which goes in
	// runtime only.
	for _, s := range mailServices {
		if s != "imaps" {
			mustCmd(t, fw, "--permanent", "--add-service="+s)
			mustCmd(t, fw, "--add-service="+s)
		}
	}
	mustCmd(t, fw, "--add-service=imaps")
	code, out := check(t, fw)
	expect(t, code, 1, out, "WARNING: imaps open in runtime only",
		"Fix: firewall-cmd --permanent --zone=public --add-service=imaps",
		"'open_runtime'=7;", "'open_permanent'=6;", "'missing'=1;")
	if strings.Contains(out, "runtime-to-permanent") {
		t.Fatalf("advises --runtime-to-permanent, which would persist Fail2ban bans:\n%s", out)
	}

	// The reload: imaps is gone, mail is down.
	mustCmd(t, fw, "--reload")
	code, out = check(t, fw)
	expect(t, code, 2, out, "CRITICAL: imaps closed in runtime zone public: mail is down now",
		"Fix: firewall-cmd --permanent --zone=public --add-service=imaps && firewall-cmd --reload",
		"'open_runtime'=6;")

	// The lasting fix.
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	code, out = check(t, fw)
	expect(t, code, 0, out, "OK: all 7 required services and ports open in zone public",
		"'required'=7;", "'open_runtime'=7;", "'open_permanent'=7;", "'missing'=0;", "'drift'=0;")

	// --port adds to the default services rather than replacing them.
	code, out = check(t, fw, "--port", "4190/tcp")
	expect(t, code, 2, out, "4190/tcp closed in runtime zone public", "'required'=8;", "'open_runtime'=7;")

	// firewalld stopped: CRITICAL, and the permanent view still says what
	// comes back.
	fw.StopDaemon()
	code, out = check(t, fw)
	expect(t, code, 2, out, "CRITICAL: firewalld is not running", "Fix: systemctl start firewalld",
		"imaps (993/tcp) is in the permanent config (service imaps): it comes back when firewalld runs",
		"'open_permanent'=7;")
}

func TestPermanentOnlyIsCriticalWithReloadFix(t *testing.T) {
	fw := startFirewalld(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	code, out := check(t, fw, "--service", "imaps")
	expect(t, code, 2, out, "imaps (993/tcp) is closed in runtime zone public: clients cannot connect now; the permanent config has it",
		"Fix: firewall-cmd --reload")
}

func TestCoverageByPortRangeRichRuleAndTarget(t *testing.T) {
	fw := startFirewalld(t)
	// 4190 by a range, 993 by a rich rule for everyone, and submission
	// spelled either way.
	for _, args := range [][]string{
		{"--add-port=4100-4200/tcp"},
		{"--add-rich-rule=rule service name=\"imaps\" accept"},
		{"--add-port=587/tcp"},
		// a rich rule limited to one source does not open a port
		{"--add-rich-rule=rule family=\"ipv4\" source address=\"192.0.2.0/24\" service name=\"imap\" accept"},
	} {
		mustCmd(t, fw, append([]string{"--permanent"}, args...)...)
	}
	mustCmd(t, fw, "--reload")
	code, out := check(t, fw, "--port", "4190/tcp", "--service", "imaps", "--service", "submission", "--service", "smtp-submission")
	expect(t, code, 0, out, "4190/tcp open in runtime and permanent (port 4100-4200/tcp)",
		"imaps (993/tcp) open in runtime and permanent (rich rule 'rule service name=\"imaps\" accept')",
		"'required'=3;")

	code, out = check(t, fw, "--service", "imap")
	// IPv4 clients from 192.0.2.0/24 only, IPv6 clients not at all.
	expect(t, code, 2, out, "imap (143/tcp) is closed for IPv6 in runtime zone public", "imap IPv6 closed in runtime zone public: mail is down now")

	mustCmd(t, fw, "--permanent", "--set-target=ACCEPT")
	mustCmd(t, fw, "--reload")
	code, out = check(t, fw, "--service", "imap")
	expect(t, code, 0, out, "zone target ACCEPT")
}

func TestDriftPolicyAndFail2banBansAreNotDrift(t *testing.T) {
	fw := startFirewalld(t)
	for _, s := range mailServices {
		mustCmd(t, fw, "--permanent", "--add-service="+s)
	}
	mustCmd(t, fw, "--reload")
	// Fail2ban's firewallcmd-rich-rules action: runtime-only by design.
	mustCmd(t, fw, "--add-rich-rule=rule family=\"ipv4\" source address=\"203.0.113.7\" port port=\"993\" protocol=\"tcp\" reject type=\"icmp-port-unreachable\"")
	code, out := check(t, fw)
	expect(t, code, 0, out, "1 runtime-only reject/drop rich rule for single sources (Fail2ban bans): not drift", "'drift'=0;")

	// Real drift: a runtime-only port nobody asked for.
	mustCmd(t, fw, "--add-port=8080/tcp")
	code, out = check(t, fw)
	expect(t, code, 1, out, "WARNING: runtime and permanent differ: port 8080/tcp (runtime only)", "port 8080/tcp is in runtime only", "'drift'=1;",
		"to keep it: firewall-cmd --permanent --zone=public --add-port=8080/tcp")
	code, out = check(t, fw, "--drift", "critical")
	expect(t, code, 2, out, "port 8080/tcp is in runtime only")
	code, out = check(t, fw, "--drift", "ignore")
	expect(t, code, 0, out, "'drift'=1;")
}

func TestCLISourceMatchesDBus(t *testing.T) {
	fw := startFirewalld(t)
	mustCmd(t, fw, "--permanent", "--add-service=smtp")
	mustCmd(t, fw, "--reload")
	mustCmd(t, fw, "--add-service=imaps")
	codeBus, outBus := check(t, fw, "--service", "smtp", "--service", "imaps", "--service", "imap")
	codeCLI, outCLI := check(t, fw, "--service", "smtp", "--service", "imaps", "--service", "imap", "--runtime-source", "cli")
	if codeBus != codeCLI || firstLine(outBus) != firstLine(outCLI) {
		t.Fatalf("D-Bus and CLI disagree:\n%s\n---\n%s", outBus, outCLI)
	}
	expect(t, codeCLI, 2, outCLI, "runtime from firewall-cmd", "imaps (993/tcp) is open in runtime only")

	fw.StopDaemon()
	code, out := check(t, fw, "--runtime-source", "cli")
	expect(t, code, 2, out, "CRITICAL: firewalld is not running")
	// imaps lived in runtime only: the permanent view says it will not come back.
	code, out = check(t, fw, "--service", "smtp", "--service", "imaps")
	expect(t, code, 2, out, "[WARNING] imaps (993/tcp) is missing from the permanent config: it will not come back when firewalld starts",
		"Fix: firewall-cmd --permanent --zone=public --add-service=imaps", "smtp (25/tcp) is in the permanent config")
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func TestUnknownPaths(t *testing.T) {
	fw := startFirewalld(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	zoneFile := filepath.Join(fw.ConfigDir, "zones", "public.xml")

	t.Run("unknown zone", func(t *testing.T) {
		code, out := check(t, fw, "--zone", "nosuchzone")
		expect(t, code, 3, out, "UNKNOWN: zone \"nosuchzone\"", "firewall-cmd --get-zones")
	})
	t.Run("malformed zone XML", func(t *testing.T) {
		good, _ := os.ReadFile(zoneFile)
		t.Cleanup(func() { os.WriteFile(zoneFile, good, 0o644) })
		os.WriteFile(zoneFile, []byte("<zone><service name=\"imaps\"></zone>"), 0o644)
		code, out := check(t, fw, "--service", "imaps")
		// firewalld refuses it: the reload fails, the running rules stay
		expect(t, code, 1, out, "WARNING", "the next reload fails; at the next restart firewalld falls back to its stock config: "+zoneFile+": INVALID_ZONE: not a valid zone file",
			"permanent config not judged: firewalld refuses "+zoneFile)
	})
	t.Run("malformed service XML", func(t *testing.T) {
		svc := filepath.Join(fw.ConfigDir, "services", "imaps.xml")
		t.Cleanup(func() { os.Remove(svc) })
		os.WriteFile(svc, []byte("<service><port port=\"993\" protocol=\"tcp\"></service"), 0o644)
		code, out := check(t, fw, "--service", "imaps")
		// imaps opens 993 whatever the file says: the refused file only
		// makes the reload fail
		expect(t, code, 1, out, "WARNING", "the next reload fails; at the next restart firewalld falls back to its stock config: "+svc+": INVALID_SERVICE: not a valid service file")
	})
	t.Run("unreadable zone file", func(t *testing.T) {
		code, out := runAsNobody(t, fw, "--service", "imaps")
		expect(t, code, 3, out, "UNKNOWN", "permission denied", "setfacl")
	})
	t.Run("D-Bus access denied", func(t *testing.T) {
		// No polkit agent on the sandbox bus: firewalld refuses a non-root
		// caller its .info action, as it would without contrib/polkit.
		code, out := runAsNobody(t, fw, "--zone", "public", "--service", "imaps")
		expect(t, code, 3, out, "UNKNOWN: runtime config unreadable: D-Bus getDefaultZone: access denied",
			"Not Authorized", "org.fedoraproject.FirewallD1.info", "contrib/polkit")
	})
	t.Run("no bus", func(t *testing.T) {
		t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "nobus"))
		code, out := check(t, fw, "--service", "imaps")
		expect(t, code, 3, out, "UNKNOWN: runtime config unreadable: cannot reach the D-Bus system bus",
			"imaps (993/tcp) is in the permanent config")
	})
	t.Run("unknown service name", func(t *testing.T) {
		code, out := check(t, fw, "--service", "imapz")
		expect(t, code, 3, out, "UNKNOWN: cannot resolve what must be open: service \"imapz\": no definition")
	})
	t.Run("bad port flag", func(t *testing.T) {
		code, out := check(t, fw, "--port", "4190")
		expect(t, code, 3, out, "UNKNOWN", "want PORT/PROTOCOL")
	})
}

// runAsNobody runs the built plugin as an unprivileged user, as NRPE would
// without the sudo rule: the sandbox's config tree is root-only.
func runAsNobody(t *testing.T, fw *sandbox.Firewalld, args ...string) (int, string) {
	t.Helper()
	binDir, err := os.MkdirTemp("", "fwbin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	os.Chmod(binDir, 0o755)
	bin := filepath.Join(binDir, "check_firewalld_mail")
	if out, err := sandbox.Run(context.Background(), []string{"CGO_ENABLED=0"}, "go", "build", "-o", bin, "."); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	if err := os.Chmod(fw.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	argv := append([]string{"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", bin,
		"--config-dir", fw.ConfigDir, "--default-config-dir", fw.DefaultDir}, args...)
	out, err := sandbox.Run(context.Background(), nil, argv...)
	code := 0
	if err != nil {
		code = sandbox.ExitCode(err)
	}
	return code, out
}
