package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// banRule is the rule fail2ban's firewallcmd-rich-rules action adds for a
// banned address (action.d/firewallcmd-rich-rules.conf, fwcmd_rich_rule
// with rich-suffix = <rich-blocktype> = reject type='icmp-port-unreachable'),
// as firewalld stores it.
func banRule(addr string) string {
	return fmt.Sprintf(`rule family="ipv4" source address="%s" port port="993" protocol="tcp" reject type="icmp-port-unreachable"`, addr)
}

// bannedZoneXML is zone public opening the mail services, with a ban rule
// for each address given.
func bannedZoneXML(bans []string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<zone>\n  <short>Public</short>\n")
	for _, s := range []string{"ssh", "dhcpv6-client", "smtp", "smtps", "smtp-submission", "imap", "imaps"} {
		fmt.Fprintf(&b, "  <service name=\"%s\"/>\n", s)
	}
	for _, a := range bans {
		fmt.Fprintf(&b, "  <rule family=\"ipv4\">\n    <source address=\"%s\"/>\n    <port port=\"993\" protocol=\"tcp\"/>\n    <reject type=\"icmp-port-unreachable\"/>\n  </rule>\n", a)
	}
	b.WriteString("  <forward/>\n</zone>\n")
	return b.String()
}

// scaleBans is how many runtime ban rules a busy mail host carries.
const scaleBans = 10000

// maxCheckRSS is the memory the check may use at scaleBans rules.
const maxCheckRSS = 64 << 20

// TestTenThousandRuntimeBans: fail2ban with the firewallcmd-rich-rules
// banaction has banned 10,000 addresses on 993/tcp at runtime, one of them
// the client's second address. The kernel refuses that address and
// serves the client's first; the check says OK (imaps open except for the
// banned addresses), counts the bans as not drift, names the client's
// banned address, and finishes well inside -t within the memory bound.
//
// Adding 10,000 rules one D-Bus call at a time takes firewalld minutes
// (one nft transaction each), so the runtime state is made in one go: the
// rules are written to the permanent zone, firewalld reloads them, and the
// zone file is put back without them (firewalld does not reread it until
// the next reload), which leaves what fail2ban leaves: the rules in
// runtime only. The client's own ban is then added as fail2ban adds it,
// with firewall-cmd --add-rich-rule.
func TestTenThousandRuntimeBans(t *testing.T) {
	fw := startFirewalld(t)
	client, err := fw.AttachClient()
	if err != nil {
		t.Fatalf("veth to firewalld's namespace: %v", err)
	}
	t.Cleanup(client.Stop)
	stop, err := fw.Serve(993)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	bin := buildBinary(t, t.TempDir())

	bans := make([]string, 0, scaleBans-1)
	for i := 0; len(bans) < scaleBans-1; i++ {
		bans = append(bans, fmt.Sprintf("198.%d.%d.%d", 18+i/(256*254), i/254%256, 1+i%254))
	}
	zoneFile := filepath.Join(fw.ConfigDir, "zones", "public.xml")
	if err := sandbox.WriteFile(zoneFile, bannedZoneXML(bans), 0o644); err != nil {
		t.Fatal(err)
	}
	reloadSlowly(t, fw)
	if err := sandbox.WriteFile(zoneFile, bannedZoneXML(nil), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCmd(t, fw, "--add-rich-rule="+banRule(sandbox.ClientAlt4))
	listAll := time.Now()
	out, err := fw.Cmd("--zone=public", "--list-all")
	listTook := time.Since(listAll)
	if err != nil || strings.Count(out, "rule family=") != scaleBans {
		t.Fatalf("firewall-cmd --list-all: %v, %d rules, want %d", err, strings.Count(out, "rule family="), scaleBans)
	}

	// The kernel's answer: the banned address is refused, the other served.
	if got, err := client.Connect(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 2*time.Second); err != nil || got != "993" {
		t.Errorf("kernel: %s -> 993 got %q, %v; want served", sandbox.ClientIPv4, got, err)
	}
	if got, err := client.Connect(sandbox.ClientAlt4, sandbox.MailIPv4, 993, 2*time.Second); err == nil {
		t.Errorf("kernel let banned %s through to 993 (answered %q)", sandbox.ClientAlt4, got)
	}

	const timeout = 10 // the default -t
	m, err := sandbox.RunMeasured(fw.Env(), bin, "--config-dir", fw.ConfigDir, "--default-config-dir", fw.DefaultDir,
		"--proc-net", fw.ProcNet(), "--family", "ipv4", "-t", fmt.Sprint(timeout),
		"--service", "smtp", "--service", "smtps", "--service", "smtp-submission", "--service", "imap", "--service", "imaps")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("check at %d runtime bans: %v, peak RSS %.1f MiB (firewall-cmd --zone=public --list-all: %v)",
		scaleBans, m.Took.Round(time.Millisecond), float64(m.PeakRSS)/(1<<20), listTook.Round(time.Millisecond))
	expect(t, m.Code, 0, m.Output,
		"OK: all 5 required services and ports open in zone public",
		"(open except for "+sandbox.ClientAlt4+", ",
		fmt.Sprintf("%d runtime-only reject/drop rich rules for single sources (Fail2ban bans): not drift", scaleBans))
	if m.Took > timeout*time.Second/2 {
		t.Errorf("the check took %v at %d rules, more than half of -t %d", m.Took, scaleBans, timeout)
	}
	if m.PeakRSS > maxCheckRSS {
		t.Errorf("peak RSS %.1f MiB at %d rules, more than %d MiB", float64(m.PeakRSS)/(1<<20), scaleBans, maxCheckRSS>>20)
	}
}

// reloadSlowly reloads firewalld over D-Bus and waits for its answer up
// to two minutes: building 10,000 rich rules takes firewalld longer than
// firewall-cmd's 25-second D-Bus timeout.
func reloadSlowly(t *testing.T, fw *sandbox.Firewalld) {
	t.Helper()
	bus, err := dbus.Connect(fw.BusAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	call := bus.Object("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1").
		CallWithContext(ctx, "org.fedoraproject.FirewallD1.reload", 0)
	if call.Err != nil {
		t.Fatalf("reload over D-Bus: %v", call.Err)
	}
	t.Logf("firewalld reloaded %d rich rules in %v", scaleBans-1, time.Since(start).Round(time.Millisecond))
}
