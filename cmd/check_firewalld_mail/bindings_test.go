package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// Interface bindings the next reload re-applies (NetworkManager's, and
// with FlushAllOnReload=no every runtime one) are not drift; one that the
// reload really drops is, with the fix of its owner. Each case checks the
// verdict, then reloads the real firewalld and asks it where mail0 went,
// and probes imaps from the client namespace.

// startMailHost is firewalld with the client namespace attached, a
// listener on 993, and imaps permanently open in public and work.
func startMailHost(t *testing.T) (*sandbox.Firewalld, *sandbox.Client) {
	t.Helper()
	fw := startFirewalld(t)
	return fw, attachMail(t, fw)
}

func attachMail(t *testing.T, fw *sandbox.Firewalld) *sandbox.Client {
	t.Helper()
	client := fw.ProbeClient(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--permanent", "--zone=work", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	return client
}

func startNM(t *testing.T, fw *sandbox.Firewalld, zone string) *sandbox.NetworkManager {
	t.Helper()
	nm, err := fw.StartNetworkManager(zone)
	if err != nil {
		t.Fatalf("cannot start NetworkManager in the sandbox (make deps installs network-manager): %v", err)
	}
	t.Cleanup(nm.Stop)
	return nm
}

// reloadAndExpectZone reloads the real firewalld and waits (bounded) for
// mail0's runtime zone to settle on want ("" = unbound): NetworkManager's
// bindings come back at the end of the reload.
func reloadAndExpectZone(t *testing.T, fw *sandbox.Firewalld, want string) {
	t.Helper()
	mustCmd(t, fw, "--reload")
	deadline := time.Now().Add(10 * time.Second)
	got := fw.RuntimeZoneOf(sandbox.MailIfname)
	for got != want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		got = fw.RuntimeZoneOf(sandbox.MailIfname)
	}
	if got != want {
		t.Fatalf("reference: after firewall-cmd --reload mail0 is in zone %q, want %q", got, want)
	}
}

func expectServed(t *testing.T, client *sandbox.Client, served bool) {
	t.Helper()
	got, err := client.Connect(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 700*time.Millisecond)
	if served && (err != nil || got != "993") {
		t.Fatalf("reference: imaps not served to %s: %q %v", sandbox.ClientIPv4, got, err)
	}
	if !served && err == nil {
		t.Fatalf("reference: imaps served to %s (%q), the case expects it refused", sandbox.ClientIPv4, got)
	}
}

func checkMail(t *testing.T, fw *sandbox.Firewalld, args ...string) (int, string) {
	t.Helper()
	return check(t, fw, append([]string{"--service", "imaps", "--proc-net", fw.ProcNet(), "-v"}, args...)...)
}

func TestNetworkManagerBindingsAreNotDrift(t *testing.T) {
	fw, client := startMailHost(t)
	startNM(t, fw, "")
	code, out := checkMail(t, fw)
	expect(t, code, 0, out, "OK: ", `interface mail0 stays in zone public at the next reload (NetworkManager profile "mail"): not drift`)
	if strings.Contains(out, "runtime only") {
		t.Fatalf("NetworkManager's binding reported as drift:\n%s", out)
	}
	// firewall-cmd for the runtime, NetworkManager still asked on the bus
	code, out = checkMail(t, fw, "--runtime-source", "cli", "-t", "60")
	expect(t, code, 0, out, "OK: ", `(NetworkManager profile "mail"): not drift`)
	reloadAndExpectZone(t, fw, "public")
	expectServed(t, client, true)
	if code, out := checkMail(t, fw); code != 0 {
		t.Fatalf("after the reload: exit %d\n%s", code, out)
	}
}

func TestNetworkManagerZoneIsWhereClientsLand(t *testing.T) {
	fw, client := startMailHost(t)
	startNM(t, fw, "drop")
	code, out := checkMail(t, fw)
	expect(t, code, 2, out, "imaps (993/tcp) is closed in runtime zone drop")
	if strings.Contains(out, "runtime only") {
		t.Fatalf("NetworkManager's binding reported as drift:\n%s", out)
	}
	expectServed(t, client, false)
	reloadAndExpectZone(t, fw, "drop")
	expectServed(t, client, false)
}

// An admin's runtime-only change of an NM-managed interface (over D-Bus,
// as a script would; firewall-cmd would change the NM profile instead) is
// lost at the reload: NetworkManager's zone comes back. The fix is nmcli.
func TestNetworkManagerDeviceMovedAtRuntimeIsDrift(t *testing.T) {
	fw, client := startMailHost(t)
	startNM(t, fw, "")
	mustCmd(t, fw, "--zone=block", "--add-service=imaps")
	if _, err := sandbox.Run(t.Context(), fw.Env(), "dbus-send", "--system", "--print-reply", "--dest=org.fedoraproject.FirewallD1",
		"/org/fedoraproject/FirewallD1", "org.fedoraproject.FirewallD1.zone.changeZoneOfInterface", "string:block", "string:"+sandbox.MailIfname); err != nil {
		t.Fatal(err)
	}
	code, out := checkMail(t, fw)
	expect(t, code, 1, out, "interface mail0 is in zone block at runtime only: at the next reload NetworkManager's profile mail puts it in the default zone",
		"nmcli connection modify mail connection.zone block")
	if strings.Contains(out, "--permanent --zone=block --add-interface") {
		t.Fatalf("a --permanent --add-interface fix for an NM-managed device:\n%s", out)
	}
	reloadAndExpectZone(t, fw, "public")
	expectServed(t, client, true)
}

func TestRuntimeOnlyBindingWithoutNetworkManagerIsDrift(t *testing.T) {
	fw, client := startMailHost(t)
	mustCmd(t, fw, "--zone=work", "--change-interface="+sandbox.MailIfname)
	code, out := checkMail(t, fw)
	expect(t, code, 1, out, "interface mail0 is in runtime only: it disappears at the next reload",
		"firewall-cmd --permanent --zone=work --add-interface=mail0")
	reloadAndExpectZone(t, fw, "")
	expectServed(t, client, true)
}

func TestFlushAllOnReloadNoKeepsRuntimeBindings(t *testing.T) {
	fw, client := startMailHost(t)
	conf := filepath.Join(fw.ConfigDir, "firewalld.conf")
	if err := os.WriteFile(conf, []byte("DefaultZone=public\nCleanupOnExit=yes\nFlushAllOnReload=no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCmd(t, fw, "--reload") // firewalld applies the value it read at its last (re)load
	mustCmd(t, fw, "--zone=work", "--change-interface="+sandbox.MailIfname)
	code, out := checkMail(t, fw)
	expect(t, code, 0, out, "interface mail0 stays in zone work at the next reload (FlushAllOnReload=no): not drift")
	reloadAndExpectZone(t, fw, "work")
	expectServed(t, client, true)
}

// Over SSH NetworkManager is asked through the stream-local channel to the
// mail host's bus that the runtime view uses.
func TestNetworkManagerAskedOverSSH(t *testing.T) {
	fw, s := startRemote(t)
	client := attachMail(t, fw)
	startNM(t, fw, "")
	code, out := checkRemote(t, fw, s, "--service", "imaps", "--proc-net", fw.ProcNet(), "-v")
	expect(t, code, 0, out, "OK: ", `interface mail0 stays in zone public at the next reload (NetworkManager profile "mail"): not drift`)
	expectServed(t, client, true)
}
