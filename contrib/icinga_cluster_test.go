package contrib

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// clusterZones are the Endpoint and Zone objects both nodes know, as in
// services.conf.example: the agent's Endpoint and Zone are named like its
// Host, its zone's parent is the master's, and "global-templates" carries
// the CheckCommands from the master to every agent. The agent connects to
// the master (agentHost is set on the agent's side only).
func clusterZones(master, agent *sandbox.IcingaNode, connectTo string) string {
	return fmt.Sprintf(`
object Endpoint %[1]q { %[3]s }
object Zone %[1]q { endpoints = [ %[1]q ] }
object Endpoint %[2]q { }
object Zone %[2]q { endpoints = [ %[2]q ]; parent = %[1]q }
object Zone "global-templates" { global = true }
`, master.Name, agent.Name, connectTo)
}

// nodeConf is what every node has: the ITL, the plugins where the test
// built them, a checker, the API listener on its own loopback port.
func nodeConf(n *sandbox.IcingaNode, acceptConfig, acceptCommands bool) string {
	return fmt.Sprintf(`const PluginDir = %q
include <itl>
include <plugins>
object CheckerComponent "checker" { }
object ApiListener "api" {
	bind_host = "127.0.0.1"
	bind_port = %d
	accept_config = %t
	accept_commands = %t
}
`, binDir, n.APIPort, acceptConfig, acceptCommands)
}

// writeAgentConf (re)writes the agent's icinga2.conf; it has no CheckCommands
// of its own: they come from the master through the global zone.
func writeAgentConf(t *testing.T, master, agent *sandbox.IcingaNode, acceptCommands bool) {
	t.Helper()
	connect := fmt.Sprintf(`host = "127.0.0.1"; port = "%d"`, master.APIPort)
	writeFile(t, agent.ConfigPath, nodeConf(agent, true, acceptCommands)+clusterZones(master, agent, connect), 0o644)
	if err := agent.ChownNagios(); err != nil {
		t.Fatal(err)
	}
}

// TestIcingaMasterAgent runs a real Icinga 2 master and agent on this
// machine (two daemons, own state each, own API ports, a real API PKI with
// the CA on the master) with commands.conf in the global zone synced from the
// master. The master schedules firewalld_mail and fail2ban_trusted on the
// agent through command_endpoint, against a sandboxed firewalld and fail2ban,
// and imaps_tls and smtp_tls itself against a sandboxed Dovecot and Postfix,
// and the test reads back
// from the master's REST API, as a read-only ApiUser, one OK and one
// CRITICAL per plugin with the perfdata labels of its docs/ page. The third way runs
// too: the master's fail2ban_trusted and firewalld_mail over SSH (--ssh-*)
// to a sandboxed sshd in front of the same daemons.
// Then the failure answers: a command the agent lacks, the agent down,
// accept_commands off.
func TestIcingaMasterAgent(t *testing.T) {
	sandbox.FailUnlessRoot(t, "namespaces, sudo -U, daemons dropping to nagios")
	requireTool(t, "icinga2")
	requireTool(t, "unshare")
	for _, p := range plugins {
		pluginBin(t, p)
	}
	readme := readmePerfdataLabels(t)
	dir := worldDir(t)
	start := time.Now()

	// The mail host's daemons and the two nodes' PKI (the CA on the
	// master, the agent's certificate signed by it), made in parallel:
	// 4096-bit keys take a while.
	master, err := sandbox.NewIcingaNode(filepath.Join(dir, "master"), "master")
	if err != nil {
		t.Fatal(err)
	}
	agent, err := sandbox.NewIcingaNode(filepath.Join(dir, "agent"), "mail.test")
	if err != nil {
		t.Fatal(err)
	}
	// The sandboxed firewalld has no polkitd, so it answers root only: the
	// agent keeps its plugins root here. (Running them as nagios through
	// polkit or sudo is what polkit_test.go and sudoers_test.go prove.)
	agent.RunAsRoot = true
	var (
		ca      *sandbox.CA
		dovecot *sandbox.Dovecot
		postfix *sandbox.Postfix
		f2b     *sandbox.Fail2ban
		fw      *sandbox.Firewalld
		ssh     *sandbox.SSHClient
	)
	parallel(t, master.NewCA, agent.NewCSR, func() (err error) {
		if ca, err = sandbox.NewRootCA(dir, "cluster-root"); err != nil {
			return err
		}
		leaf, err := ca.Issue("mail", sandbox.Leaf{CommonName: "mail.test", DNSNames: []string{"mail.test"}})
		if err != nil {
			return err
		}
		dovecot, err = sandbox.StartDovecot(sandbox.DovecotOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath, Password: "pw"})
		if err != nil {
			return fmt.Errorf("cannot start the real Dovecot (never skipped): %v", err)
		}
		t.Cleanup(dovecot.Stop)
		postfix, err = sandbox.StartPostfix(sandbox.PostfixOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath})
		if err != nil {
			return fmt.Errorf("cannot start the real Postfix (never skipped): %v", err)
		}
		t.Cleanup(postfix.Stop)
		return nil
	}, func() (err error) {
		f2b, err = sandbox.StartFail2ban(filepath.Join(dir, "f2b"), "127.0.0.1/8 198.51.100.0/24", sandbox.Fail2banJail{Name: "dovecot"})
		if err != nil {
			return fmt.Errorf("cannot start the real fail2ban (never skipped): %v", err)
		}
		t.Cleanup(f2b.Stop)
		_, err = f2b.Client("set", "dovecot", "banip", "203.0.113.7")
		return err
	}, func() (err error) {
		if fw, err = sandbox.StartFirewalld(filepath.Join(dir, "fw")); err != nil {
			return fmt.Errorf("cannot start the real firewalld (never skipped): %v", err)
		}
		t.Cleanup(fw.Stop)
		if err := fw.OpenPermanently("smtp", "smtps", "smtp-submission", "imap", "imaps", "http", "https"); err != nil {
			return err
		}
		// The third way: the master logs in to the mail host itself. The
		// sessions get the sandbox's bus from sshd (SetEnv), as a mail
		// host's sshd gives its system bus.
		if ssh, err = sandbox.StartSSHDWithClient(filepath.Join(dir, "ssh"), sandbox.SSHDOptions{Env: fw.Env()}); err != nil {
			return fmt.Errorf("cannot start the real sshd (never skipped): %v", err)
		}
		t.Cleanup(ssh.Stop)
		// The master's plugins run as nagios: the key and known_hosts
		// where nagios keeps them (its own, key 0600).
		home := filepath.Join(dir, "nagios-ssh")
		writeFile(t, filepath.Join(home, "id_ed25519"), readFile(t, ssh.Key), 0o600)
		writeFile(t, filepath.Join(home, "known_hosts"), readFile(t, ssh.KnownHosts), 0o644)
		ssh.Key, ssh.KnownHosts = filepath.Join(home, "id_ed25519"), filepath.Join(home, "known_hosts")
		uid, gid := nagios(t)
		return errors.Join(os.Chown(ssh.Key, int(uid), int(gid)), os.Chown(ssh.KnownHosts, int(uid), int(gid)))
	})
	if err := master.Sign(agent); err != nil {
		t.Fatal(err)
	}
	t.Logf("sandboxed Dovecot, Postfix, fail2ban, firewalld and the PKI ready after %s", time.Since(start).Round(time.Millisecond))

	const readerPass, actorPass = "read-only-pw", "actions-pw"
	writeFile(t, master.ConfigPath, nodeConf(master, false, false)+clusterZones(master, agent, "")+fmt.Sprintf(`
object ApiUser "reader" {
	password = %q
	permissions = [ "objects/query/Service", "objects/query/Endpoint" ]
}
object ApiUser "actor" {
	password = %q
	permissions = [ "actions/reschedule-check" ]
}
`, readerPass, actorPass), 0o644)
	commands := readFile(t, "icinga/commands.conf")
	writeFile(t, filepath.Join(master.ZonesDir, "global-templates", "mailchecks-commands.conf"), commands, 0o644)
	writeFile(t, filepath.Join(master.ZonesDir, "master", "mail.conf"), mailHostConf(agent.Name, dovecot.IMAPSPort, postfix.SubmissionPort, ca.CertPath, fw, f2b, ssh), 0o644)
	if err := master.ChownNagios(); err != nil {
		t.Fatal(err)
	}
	writeAgentConf(t, master, agent, true)

	// The master first: the agent connects to it at start and would
	// otherwise wait for its next reconnect attempt (10 s). The state is
	// thrown away, so both end with SIGKILL rather than a slow shutdown.
	if err := master.Start(nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(master.Kill)
	if err := agent.Start(fw.Env()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(agent.Kill)
	t.Logf("both daemons listening after %s", time.Since(start).Round(time.Millisecond))

	reader := newIcingaAPI(t, master, "reader", readerPass)
	actor := newIcingaAPI(t, master, "actor", actorPass)
	// Read-only means read-only, and the actions user reads nothing.
	// (2.13 answers 404 "No objects found": a user sees no object it has
	// no permission for.)
	if code, body := reader.reschedule(t, agent.Name, []string{"imaps"}); code == http.StatusOK {
		t.Errorf("reader may reschedule: %d %s", code, body)
	}
	if code, body := actor.call(t, http.MethodGet, "/v1/objects/services", nil); code == http.StatusOK {
		t.Errorf("actor may read services: %d %.200s", code, body)
	}

	since := now()
	wants := map[string]want{
		"imaps":            {0, "OK", master.Name, "check_imaps_tls"},
		"imaps-wrong-name": {2, "other.test", master.Name, ""},
		"smtp":             {0, "OK", master.Name, "check_smtp_tls"},
		"smtp-wrong-name":  {2, "other.test", master.Name, ""},
		// Defined in the master's zone only, so never synced: what an agent
		// says when commands.conf was put in zones.d/master/.
		"command-not-synced": {3, "Check command 'mailchecks_master_only' does not exist.", "", ""},
		"agent-health":       {0, "Zone '" + agent.Name + "' is connected.", master.Name, ""},
	}
	for _, c := range mailCases {
		// On the agent, and the SSH way: the master's plugin, the mail
		// host's daemons.
		wants[c.name] = want{c.state, c.output, agent.Name, c.plugin}
		wants[c.name+"-ssh"] = want{c.state, "via SSH root@127.0.0.1", master.Name, c.plugin}
	}
	results := awaitResults(t, reader, actor, agent.Name, wants, since, 60*time.Second, readme)
	t.Logf("all results read back after %s", time.Since(start).Round(time.Millisecond))
	for _, name := range []string{"firewalld-open", "fail2ban-banned", "imaps", "smtp", "firewalld-closed-ssh"} {
		t.Logf("%s: state %v, %q | %v", name, results[name].State, firstLineOf(results[name].Output), results[name].Perfdata)
	}
	// The agent got the commands from the master, byte for byte.
	synced := filepath.Join(agent.DataDir, "api", "zones", "global-templates", "_etc", "mailchecks-commands.conf")
	if got, err := os.ReadFile(synced); err != nil || string(got) != commands {
		t.Errorf("the agent's synced %s differs from contrib/icinga/commands.conf (err %v)", synced, err)
	}

	// The agent goes down hard. Services on it keep their last result for
	// Icinga's first 5 minutes (Checkable::ExecuteCheck: no "is not
	// connected" result in the cold-start window); the zone health check is
	// what reports it, at once.
	agent.Kill()
	since = now()
	awaitResults(t, reader, actor, agent.Name, map[string]want{
		"agent-health": {2, "Zone '" + agent.Name + "' is not connected.", master.Name, ""},
	}, since, 30*time.Second, readme)

	// Back, but with accept_commands off: connected, yet every
	// command_endpoint check is refused by the agent.
	writeAgentConf(t, master, agent, false)
	if err := agent.Start(fw.Env()); err != nil {
		t.Fatal(err)
	}
	since = now()
	results = awaitResults(t, reader, actor, agent.Name, map[string]want{
		"agent-health":   {0, "Zone '" + agent.Name + "' is connected.", master.Name, ""},
		"firewalld-open": {3, "does not accept commands", "", ""},
	}, since, 30*time.Second, readme)
	t.Logf("accept_commands off: %q", results["firewalld-open"].Output)
	t.Logf("failure answers read back after %s", time.Since(start).Round(time.Millisecond))
}

// mailHostConf is the master's zones.d/master/: the mail host, its services
// (the agent's through command_endpoint), and a command that exists on the
// master only.
func mailHostConf(agentName string, imapsPort, submissionPort int, caFile string, fw *sandbox.Firewalld, f2b *sandbox.Fail2ban, ssh *sandbox.SSHClient) string {
	onAgent := fmt.Sprintf(`import "mailchecks-test"
	command_endpoint = host_name
	vars.firewalld_mail_config_dir = %q
	vars.firewalld_mail_default_config_dir = %q
	vars.fail2ban_trusted_socket = %q`, fw.ConfigDir, fw.DefaultDir, f2b.Socket)
	imaps := fmt.Sprintf(`import "mailchecks-test"
	check_command = "imaps_tls"
	vars.imaps_tls_port = %d
	vars.imaps_tls_ca_file = %q
	vars.imaps_tls_ipv4 = true`, imapsPort, caFile)
	smtp := fmt.Sprintf(`import "mailchecks-test"
	check_command = "smtp_tls"
	vars.smtp_tls_port = %d
	vars.smtp_tls_ca_file = %q
	vars.smtp_tls_ipv4 = true`, submissionPort, caFile)
	overSSH := ""
	for _, prefix := range []string{"fail2ban_trusted", "firewalld_mail"} {
		overSSH += fmt.Sprintf(`
	vars.%[1]s_ssh_host = "127.0.0.1"
	vars.%[1]s_ssh_port = %[2]d
	vars.%[1]s_ssh_user = "root"
	vars.%[1]s_ssh_key = %[3]q
	vars.%[1]s_ssh_known_hosts = [ %[4]q ]`, prefix, ssh.Port, ssh.Key, ssh.KnownHosts)
	}
	overSSH = fmt.Sprintf(`import "mailchecks-test"%s
	vars.fail2ban_trusted_socket = %q
	vars.firewalld_mail_config_dir = %q
	vars.firewalld_mail_default_config_dir = %q`, overSSH, f2b.Socket, fw.ConfigDir, fw.DefaultDir)
	return fmt.Sprintf(`
object Host %[1]q {
	check_command = "dummy"
	address = "127.0.0.1"
	check_interval = 1h
}
/* The test reschedules every check it waits for (reschedule-check). */
template Service "mailchecks-test" {
	host_name = %[1]q
	check_interval = 1h
	retry_interval = 1h
	max_check_attempts = 1
}
object CheckCommand "mailchecks_master_only" {
	command = [ PluginDir + "/check_fail2ban_trusted" ]
}
object Service "command-not-synced" {
	%[5]s
	check_command = "mailchecks_master_only"
}
object Service "imaps" {
	%[2]s
	vars.imaps_tls_sni = "mail.test"
}
object Service "imaps-wrong-name" {
	%[2]s
	vars.imaps_tls_sni = "other.test"
}
object Service "smtp" {
	%[6]s
	vars.smtp_tls_sni = "mail.test"
}
object Service "smtp-wrong-name" {
	%[6]s
	vars.smtp_tls_sni = "other.test"
}
/* Through command_endpoint, on the agent. */
%[3]s
/* No agent involved: the master's own plugins over SSH. */
%[4]s
object Service "agent-health" {
	import "mailchecks-test"
	check_command = "cluster-zone"
	vars.cluster_zone = host_name
}
`, agentName, imaps, mailServices(onAgent, ""), mailServices(overSSH, "-ssh"), onAgent, smtp)
}

// mailCases are the firewalld and fail2ban services, each run on the agent
// and over SSH: one OK and one CRITICAL per plugin.
var mailCases = []struct {
	name, command, vars string
	state               int
	output, plugin      string
}{
	{"firewalld-open", "firewalld_mail", "", 0, "OK", "check_firewalld_mail"},
	{"firewalld-closed", "firewalld_mail", `vars.firewalld_mail_services = [ "imaps", "pop3s" ]`, 2, "pop3s", "check_firewalld_mail"},
	{"fail2ban-trusted", "fail2ban_trusted", `vars.fail2ban_trusted_ips = [ "198.51.100.10" ]`, 0, "OK", "check_fail2ban_trusted"},
	{"fail2ban-banned", "fail2ban_trusted", `vars.fail2ban_trusted_ips = [ "203.0.113.7" ]`, 2, "203.0.113.7", "check_fail2ban_trusted"},
}

// mailServices writes mailCases as Service objects with the given common
// attributes (how they reach the mail host) and name suffix.
func mailServices(common, suffix string) string {
	var b strings.Builder
	for _, c := range mailCases {
		fmt.Fprintf(&b, "object Service %q {\n\t%s\n\tcheck_command = %q\n\t%s\n}\n", c.name+suffix, common, c.command, c.vars)
	}
	return b.String()
}

// parallel runs fns at once and fails the test with every error.
func parallel(t *testing.T, fns ...func() error) {
	t.Helper()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// now is the time as Icinga writes it into check results.
func now() float64 { return float64(time.Now().UnixNano()) / 1e9 }

func firstLineOf(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
