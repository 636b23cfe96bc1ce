package contrib

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// busConfig is a system bus with the system bus's default-deny policy plus
// the packages' own policies (/usr/share/dbus-1/system.d: FirewallD.conf,
// org.freedesktop.PolicyKit1.conf), on a private socket. Unlike the permissive
// bus of internal/sandbox, it enforces who may talk to whom, as on a host.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <includedir>/usr/share/dbus-1/system.d</includedir>
</busconfig>
`

// polkitScript runs in a new network and mount namespace: the rules
// directory is ours (so polkitd sees only the package rules plus what the
// test puts there), /etc/group has nagios in the group mailchecks (as after
// docs/privileges.md's groupadd and usermod), /run/firewalld is a tmpfs, firewalld's
// nftables rules live in the namespace. polkitd must own its name before
// firewalld's first authorisation check, or firewalld falls back to "root
// only".
const polkitScript = `set -e
rules=$0 busconf=$1 sock=$2 etc=$3 group=$4
mount --bind "$rules" /etc/polkit-1/rules.d
mount --bind "$group" /etc/group
mkdir -p /run/firewalld
mount -t tmpfs tmpfs /run/firewalld
dbus-daemon --config-file="$busconf" --nofork --nopidfile &
while [ ! -S "$sock" ]; do sleep 0.05; done
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$sock
/usr/lib/polkit-1/polkitd --no-debug &
until dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
	org.freedesktop.DBus.NameHasOwner string:org.freedesktop.PolicyKit1 2>/dev/null | grep -q 'boolean true'; do
	sleep 0.05
done
echo "polkitd is on the bus"
firewalld --nofork --nopid --log-target console --system-config "$etc" &
wait
`

// TestPolkitRuleLetsNagiosReadFirewalld runs a real firewalld behind a real
// polkitd and system-bus policy, and check_firewalld_mail as nagios, a
// member of the group mailchecks: without contrib/polkit's rule the runtime
// view is denied (UNKNOWN), with it the check works, over D-Bus and through
// firewall-cmd, and nagios still cannot change the firewall; a user outside
// the group is still denied. The sudo routes (contrib/sudoers.d) work
// without the rule.
func TestPolkitRuleLetsNagiosReadFirewalld(t *testing.T) {
	sandbox.FailUnlessRoot(t, "namespaces, sudo -U, daemons dropping to nagios")
	for _, tool := range []string{"unshare", "dbus-daemon", "dbus-send", "/usr/lib/polkit-1/polkitd", "firewalld", "firewall-cmd"} {
		requireTool(t, tool)
	}
	bin := pluginBin(t, "check_firewalld_mail")
	dir := worldDir(t)
	rules := filepath.Join(dir, "rules.d")
	if err := os.Mkdir(rules, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "system_bus_socket")
	writeFile(t, filepath.Join(dir, "bus.conf"), fmt.Sprintf(busConfig, sock), 0o644)
	// The permanent config opens every mail service (readable by nagios, as
	// docs/privileges.md's ACL makes /etc/firewalld); firewalld loads it at start,
	// so runtime = permanent and the check is OK once it can read both.
	etc := filepath.Join(dir, "firewalld")
	writeFile(t, filepath.Join(etc, "firewalld.conf"), "DefaultZone=public\n", 0o644)
	var zone strings.Builder
	zone.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<zone>\n  <short>Public</short>\n")
	for _, s := range []string{"ssh", "smtp", "smtps", "smtp-submission", "imap", "imaps", "http", "https"} {
		fmt.Fprintf(&zone, "  <service name=%q/>\n", s)
	}
	zone.WriteString("</zone>\n")
	writeFile(t, filepath.Join(etc, "zones", "public.xml"), zone.String(), 0o644)

	in := install(t)
	proc, err := sandbox.StartProcess("polkitd+firewalld", filepath.Join(dir, "daemons.log"), nil,
		"unshare", "--net", "--mount", "--propagation", "private", "sh", "-c", polkitScript,
		rules, filepath.Join(dir, "bus.conf"), sock, etc, in.groups.with)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.Stop)
	busEnv := "DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + sock
	env := []string{busEnv, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	err = proc.WaitFor(30*time.Second, "firewalld running", func() error {
		out, err := sandbox.Run(context.Background(), []string{busEnv}, "firewall-cmd", "--state")
		if strings.TrimSpace(out) != "running" {
			return fmt.Errorf("firewall-cmd --state: %q %v", out, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// nagios as NRPE runs it after usermod -aG mailchecks and a restart:
	// the group among its own. (polkit asks the group database, or in newer
	// versions the bus for the process's groups: both say mailchecks.)
	uid, gid := nagios(t)
	asMember := &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{gid, in.groups.gid}}
	nobodyUID, nobodyGID := account(t, "nobody", "Debian's base-passwd has it")
	asOutsider := &syscall.Credential{Uid: nobodyUID, Gid: nobodyGID, Groups: []uint32{}}
	checkAs := func(cred *syscall.Credential, extra ...string) result {
		argv := append([]string{bin, "--config-dir", etc}, extra...)
		return runAs(t, cred, env, "", argv...)
	}
	check := func(extra ...string) result { return checkAs(asMember, extra...) }

	// Without the rule: Debian's policy (the "server" choice) gives anyone
	// org.fedoraproject.FirewallD1.info but asks for admin authentication
	// for .config.info, which the zone and service reads need.
	r := check()
	if r.code != 3 || !strings.Contains(r.stdout, "access denied") || !strings.Contains(r.stdout, "contrib/polkit") {
		t.Fatalf("without the polkit rule, want UNKNOWN access denied pointing at contrib/polkit; got exit %d:\n%s%s\ndaemons:\n%s",
			r.code, r.stdout, r.stderr, proc.Log())
	}

	// Still without the rule: the sudo routes of contrib/sudoers.d. sudo
	// resets the environment, so root's clients use the default bus address:
	// the namespace points it, and /etc/firewalld, at the sandbox.
	// mkdir: /run/dbus exists only where a system bus has run since boot.
	in.extra = `mkdir -p /run/dbus
mount -t tmpfs tmpfs /run/dbus
ln -s ` + sock + ` /run/dbus/system_bus_socket
mount --bind ` + etc + ` /etc/firewalld`
	viaSudo := in.run(t, "nagios", "", pluginDir+"/check_firewalld_mail", "--config-dir", etc,
		"--runtime-source", "cli", "--firewall-cmd", pluginDir+"/firewall-cmd-sudo")
	t.Logf("as nagios, firewall-cmd through sudo: %s", viaSudo.firstLine())
	if viaSudo.code != 0 {
		t.Errorf("runtime through firewall-cmd-sudo (no polkit rule): want OK, got exit %d:\n%s%s", viaSudo.code, viaSudo.stdout, viaSudo.stderr)
	}
	asRoot := in.run(t, "nagios", "", "sudo", "-n", pluginDir+"/check_firewalld_mail", "--zone", "public")
	t.Logf("as nagios, whole plugin through sudo: %s", asRoot.firstLine())
	if asRoot.code != 0 {
		t.Errorf("the whole plugin through sudo (no polkit rule, no ACL): want OK, got exit %d:\n%s%s", asRoot.code, asRoot.stdout, asRoot.stderr)
	}

	// With the rule. polkitd notices new rules files (inotify) and reloads.
	writeFile(t, filepath.Join(rules, "49-mailchecks-firewalld.rules"), readFile(t, "polkit/49-mailchecks-firewalld.rules"), 0o644)
	deadline := time.Now().Add(15 * time.Second)
	for r = check(); r.code == 3 && time.Now().Before(deadline); r = check() {
		time.Sleep(200 * time.Millisecond)
	}
	if r.code != 0 {
		t.Fatalf("with the polkit rule, want OK over D-Bus; got exit %d:\n%s%s\ndaemons:\n%s", r.code, r.stdout, r.stderr, proc.Log())
	}
	t.Logf("as nagios, D-Bus: %s", r.firstLine())
	// The rule grants the group, not every local user.
	if out := checkAs(asOutsider); out.code != 3 || !strings.Contains(out.stdout, "access denied") {
		t.Errorf("with the rule, as nobody (not in %s): want UNKNOWN access denied, got exit %d:\n%s%s", monitoringGroup, out.code, out.stdout, out.stderr)
	}
	// The shipped NRPE lines, verbatim, as nagios under a real nrpe in the
	// same namespace (default bus address and /etc/firewalld = the sandbox):
	// they also require 4190/tcp, which the zone does not open.
	for _, cfg := range nrpeFiles {
		nrpeCheck(t, in, cfg, "check_firewalld_mail", 2, "CRITICAL: 4190/tcp")
	}

	r = check("--runtime-source", "cli")
	if r.code != 0 {
		t.Errorf("with the polkit rule, want OK through firewall-cmd --list-all as nagios (no sudo); got exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Read-only: nagios still cannot change the runtime or the permanent config.
	for _, args := range [][]string{
		{"--zone=public", "--add-service=telnet"},
		{"--permanent", "--zone=public", "--add-service=telnet"},
		{"--reload"},
	} {
		w := runAs(t, asMember, env, "", append([]string{"firewall-cmd"}, args...)...)
		if w.code == 0 {
			t.Errorf("nagios ran firewall-cmd %s with the rule in place:\n%s%s", strings.Join(args, " "), w.stdout, w.stderr)
		}
	}
	if out, _ := sandbox.Run(context.Background(), []string{busEnv}, "firewall-cmd", "--zone=public", "--list-services"); strings.Contains(out, "telnet") {
		t.Errorf("telnet got opened: %s", out)
	}
}
