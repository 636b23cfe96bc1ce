package sandbox

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// BanRule is the rule Fail2ban's firewallcmd-rich-rules action adds for a
// banned address on 993/tcp (action.d/firewallcmd-rich-rules.conf:
// fwcmd_rich_rule with rich-suffix = <rich-blocktype>, which
// firewallcmd-common.conf sets to reject type='icmp-port-unreachable'),
// as firewalld prints it.
func BanRule(addr string) string {
	return fmt.Sprintf(`rule family="ipv4" source address="%s" port port="993" protocol="tcp" reject type="icmp-port-unreachable"`, addr)
}

// BanAddrs are n distinct addresses of 198.18.0.0/15 (RFC 2544's
// benchmarking range; never the sandbox's own), none ending in .0 or .255.
func BanAddrs(n int) []string {
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		out = append(out, fmt.Sprintf("198.%d.%d.%d", 18+i/(256*254), i/254%256, 1+i%254))
	}
	return out
}

// bannedZoneXML is zone public opening services, with a BanRule for each
// address.
func bannedZoneXML(services, bans []string) string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<zone>\n  <short>Public</short>\n")
	for _, s := range services {
		fmt.Fprintf(&b, "  <service name=\"%s\"/>\n", s)
	}
	for _, a := range bans {
		fmt.Fprintf(&b, "  <rule family=\"ipv4\">\n    <source address=\"%s\"/>\n    <port port=\"993\" protocol=\"tcp\"/>\n    <reject type=\"icmp-port-unreachable\"/>\n  </rule>\n", a)
	}
	b.WriteString("  <forward/>\n</zone>\n")
	return b.String()
}

// LoadRuntimeBans leaves zone public opening services permanently and at
// runtime, with a runtime-only BanRule for each address: what Fail2ban
// leaves behind on a busy host.
//
// Adding thousands of rules one D-Bus call at a time takes firewalld
// minutes (an nft transaction each), so they are made in one go: written
// to the permanent zone, reloaded (over D-Bus, waiting up to four minutes:
// 10,000 rich rules take firewalld longer than firewall-cmd's 25-second
// D-Bus timeout), and the zone file put back without them. firewalld does
// not reread its files before the next reload, so the rules are in the
// runtime only, as Fail2ban's are. No --permanent change may follow before
// a reload: firewalld would write its in-memory copy, rules and all.
func (f *Firewalld) LoadRuntimeBans(services, addrs []string) (reload time.Duration, err error) {
	zoneFile := filepath.Join(f.ConfigDir, "zones", "public.xml")
	if err := WriteFile(zoneFile, bannedZoneXML(services, addrs), 0o644); err != nil {
		return 0, err
	}
	bus, err := dbus.Connect(f.BusAddress)
	if err != nil {
		return 0, err
	}
	defer bus.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	call := bus.Object("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1").
		CallWithContext(ctx, "org.fedoraproject.FirewallD1.reload", 0)
	if call.Err != nil {
		return 0, fmt.Errorf("reload with %d rich rules over D-Bus: %w", len(addrs), call.Err)
	}
	reload = time.Since(start)
	return reload, WriteFile(zoneFile, bannedZoneXML(services, nil), 0o644)
}
