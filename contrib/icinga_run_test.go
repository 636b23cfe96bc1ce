package contrib

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// Icinga logs each plugin run at severity notice (lib/base/process.cpp).
var (
	reRunning    = regexp.MustCompile(`notice/Process: Running command (.*): PID (\d+)`)
	reTerminated = regexp.MustCompile(`notice/Process: PID (\d+) \(.*\) terminated with exit code (\d+)`)
)

// TestIcingaRunsTheCommands lets a real Icinga 2 execute commands.conf's
// CheckCommands with the checker, and reads back from its log the command
// lines it built and the plugins' exit codes: arrays become repeated flags,
// booleans switches, the password reaches check_imaps_tls and check_smtp_tls
// through the environment (a real Dovecot login, and a real Postfix AUTH
// through that Dovecot, succeed with it and fail without the right one) and
// never appears on the command line.
func TestIcingaRunsTheCommands(t *testing.T) {
	sandbox.FailUnlessRoot(t, "namespaces, sudo -U, daemons dropping to nagios")
	requireTool(t, "icinga2")
	requireTool(t, "unshare")
	for _, p := range plugins {
		pluginBin(t, p)
	}
	dir := worldDir(t)

	// A real IMAPS server and a real Postfix (SASL through that Dovecot) with
	// a certificate for mail.test from a private CA.
	ca, err := sandbox.NewRootCA(dir, "contrib-root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("mail", sandbox.Leaf{CommonName: "mail.test", DNSNames: []string{"mail.test"}})
	if err != nil {
		t.Fatal(err)
	}
	const password = `s3cr"et\pw`
	dovecot, err := sandbox.StartDovecot(sandbox.DovecotOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath, Password: password, PostfixAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dovecot.Stop)
	postfix, err := sandbox.StartPostfix(sandbox.PostfixOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath, SASLPath: dovecot.PostfixAuthSocket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(postfix.Stop)

	fwEtc := filepath.Join(dir, "firewalld") // malformed: a deterministic UNKNOWN
	writeFile(t, filepath.Join(fwEtc, "zones", "public.xml"), "<zone", 0o644)
	logDir := filepath.Join(dir, "log")
	if err := os.Mkdir(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	chownNagios(t, logDir)
	logPath := filepath.Join(logDir, "icinga2.log")

	imaps := func(name, extra string) string {
		return fmt.Sprintf(`object Service %q {
	host_name = "mail.test"
	check_command = "imaps_tls"
	check_interval = 1s
	retry_interval = 1s
	vars.imaps_tls_host = "127.0.0.1"
	vars.imaps_tls_port = %d
	vars.imaps_tls_sni = "mail.test"
	vars.imaps_tls_ca_file = %q
	vars.imaps_tls_ipv4 = true
	vars.imaps_tls_expect_capabilities = [ "IMAP4rev1", "IDLE" ]
	vars.imaps_tls_login = "monitor"
	vars.imaps_tls_select = "INBOX"
	%s
}
`, name, dovecot.IMAPSPort, ca.CertPath, extra)
	}
	smtp := func(name, extra string) string {
		return fmt.Sprintf(`object Service %q {
	host_name = "mail.test"
	check_command = "smtp_tls"
	check_interval = 1s
	retry_interval = 1s
	vars.smtp_tls_host = "127.0.0.1"
	vars.smtp_tls_port = %d
	vars.smtp_tls_sni = "mail.test"
	vars.smtp_tls_ca_file = %q
	vars.smtp_tls_ipv4 = true
	vars.smtp_tls_no_all_certificates = true
	vars.smtp_tls_login = "monitor"
	%s
}
`, name, postfix.SubmissionPort, ca.CertPath, extra)
	}
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(password)
	conf := filepath.Join(dir, "icinga2.conf")
	writeFile(t, conf, `
include <itl>
include <plugins>
const PluginDir = "`+binDir+`"
object CheckerComponent "checker" { }
object FileLogger "contrib-test" {
	path = "`+logPath+`"
	severity = "notice"
}
include "`+abs(t, "icinga/commands.conf")+`"

object Host "mail.test" {
	check_command = "dummy"
	address = "127.0.0.1"
	check_interval = 1h
}
object Service "firewalld" {
	host_name = "mail.test"
	check_command = "firewalld_mail"
	check_interval = 1s
	retry_interval = 1s
	vars.firewalld_mail_ports = [ "4190/tcp", "1000-1010/udp" ]
	vars.firewalld_mail_runtime_source = "cli"
	vars.firewalld_mail_firewall_cmd = "`+filepath.Join(dir, "no-firewall-cmd")+`"
	vars.firewalld_mail_config_dir = "`+fwEtc+`"
}
object Service "fail2ban" {
	host_name = "mail.test"
	check_command = "fail2ban_trusted"
	check_interval = 1s
	retry_interval = 1s
	vars.fail2ban_trusted_socket = "`+filepath.Join(dir, "no-fail2ban.sock")+`"
	vars.fail2ban_trusted_ips = [ "203.0.113.7", "198.51.100.10" ]
	vars.fail2ban_trusted_ip_from_dns = "localhost"
	vars.fail2ban_trusted_exclude_jails = [ "recidive" ]
}
`+imaps("imaps", `vars.imaps_tls_password = "`+quoted+`"`)+
		imaps("imaps-wrong-password", `vars.imaps_tls_password = "not it"`)+
		smtp("smtp", `vars.smtp_tls_password = "`+quoted+`"`)+
		smtp("smtp-wrong-password", `vars.smtp_tls_password = "not it"`), 0o644)

	// Foreground, dropping to nagios as Debian's does, in a private mount
	// namespace that keeps the host's Icinga (if any) untouched.
	proc, err := sandbox.StartProcess("icinga2", filepath.Join(dir, "icinga2.out"), nil, sandbox.IcingaDaemonArgv("-c", conf)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Stop)

	// Each plugin run Icinga logged: command line and exit code.
	type execution struct {
		argv string
		code int
	}
	runs := func() []execution {
		text, _ := os.ReadFile(logPath)
		pids := map[string]string{}
		codes := map[string]int{}
		var order []string
		for _, line := range strings.Split(string(text), "\n") {
			if m := reRunning.FindStringSubmatch(line); m != nil {
				pids[m[2]] = m[1]
				order = append(order, m[2])
			} else if m := reTerminated.FindStringSubmatch(line); m != nil {
				codes[m[1]], _ = strconv.Atoi(m[2])
			}
		}
		var out []execution
		for _, pid := range order {
			if c, ok := codes[pid]; ok {
				out = append(out, execution{pids[pid], c})
			}
		}
		return out
	}
	find := func(rs []execution, plugin string) *execution {
		for i := range rs {
			if strings.Contains(rs[i].argv, "/"+plugin+"'") {
				return &rs[i]
			}
		}
		return nil
	}
	var rs []execution
	deadline := time.Now().Add(30 * time.Second)
	for {
		rs = runs()
		// The two imaps services differ only in the environment, so their
		// runs look alike: wait for both outcomes (or the deadline); the
		// same for the two smtp ones.
		imapsCodes, smtpCodes := map[int]bool{}, map[int]bool{}
		for _, r := range rs {
			if strings.Contains(r.argv, "/check_imaps_tls'") {
				imapsCodes[r.code] = true
			}
			if strings.Contains(r.argv, "/check_smtp_tls'") {
				smtpCodes[r.code] = true
			}
		}
		done := find(rs, "check_firewalld_mail") != nil && find(rs, "check_fail2ban_trusted") != nil &&
			imapsCodes[0] && imapsCodes[2] && smtpCodes[0] && smtpCodes[2]
		if done || time.Now().After(deadline) {
			break
		}
		if proc.Exited() {
			t.Fatalf("icinga2 exited:\n%s", proc.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(logPath)

	want := []struct {
		plugin string
		code   int
		parts  []string
	}{
		{"check_firewalld_mail", 3, []string{
			`'--port' '4190/tcp' '--port' '1000-1010/udp'`,
			`'--service' 'smtp' '--service' 'smtps' '--service' 'smtp-submission' '--service' 'imap' '--service' 'imaps' '--service' 'http' '--service' 'https'`,
			`'--runtime-source' 'cli'`, `'-t' '10'`}},
		{"check_fail2ban_trusted", 3, []string{
			`'--ip' '203.0.113.7' '--ip' '198.51.100.10'`, `'--ip-from-dns' 'localhost'`,
			`'--exclude-jail' 'recidive'`, `'-t' '10'`}},
	}
	for _, w := range want {
		r := find(rs, w.plugin)
		if r == nil {
			t.Errorf("Icinga never ran %s; log:\n%s", w.plugin, log)
			continue
		}
		for _, p := range w.parts {
			if !strings.Contains(r.argv, p) {
				t.Errorf("%s command line lacks %s:\n%s", w.plugin, p, r.argv)
			}
		}
		if r.code != w.code {
			t.Errorf("%s exited %d, want %d: %s", w.plugin, r.code, w.code, r.argv)
		}
	}

	// The two imaps runs and the two smtp runs: same command line each (the
	// password is not on it), one OK (logged in with the password from the
	// environment), one CRITICAL (the wrong one).
	for _, lr := range []struct {
		plugin, envVar string
		parts          []string
	}{
		{"check_imaps_tls", "IMAP_PASSWORD", []string{`'--ipv4'`, `'--login' 'monitor'`, `'--sni' 'mail.test'`, `'--expect-capability' 'IMAP4rev1' '--expect-capability' 'IDLE'`, `'-t' '10'`}},
		{"check_smtp_tls", "SMTP_PASSWORD", []string{`'--ipv4'`, `'--login' 'monitor'`, `'--sni' 'mail.test'`, `'--no-all-certificates'`, `'-t' '10'`}},
	} {
		codes := map[int]int{}
		for _, r := range rs {
			if !strings.Contains(r.argv, "/"+lr.plugin+"'") {
				continue
			}
			for _, p := range lr.parts {
				if !strings.Contains(r.argv, p) {
					t.Errorf("%s command line lacks %s:\n%s", lr.plugin, p, r.argv)
				}
			}
			if strings.Contains(r.argv, "s3cr") || strings.Contains(r.argv, "not it") || strings.Contains(r.argv, "password") {
				t.Errorf("the password is on the command line: %s", r.argv)
			}
			codes[r.code]++
		}
		if codes[0] == 0 || codes[2] == 0 {
			t.Errorf("%s runs exited %v (exit code: runs), want 0 (password from %s works) and 2 (wrong password)", lr.plugin, codes, lr.envVar)
			// Icinga does not log plugin output: run the command line again.
			if r := find(rs, lr.plugin); r != nil {
				argv := strings.Split(strings.Trim(r.argv, "'"), "' '")
				again := run(t, true, []string{lr.envVar + "=" + password}, "", argv...)
				t.Logf("the same command as nagios with the right password: exit %d\n%s%s", again.code, again.stdout, again.stderr)
			}
		}
	}
}

func abs(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
