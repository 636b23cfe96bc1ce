package firewalld

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/expat"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func startFirewalld(t *testing.T) *sandbox.Firewalld {
	t.Helper()
	return sandbox.FirewalldForTest(t)
}

// installedVersion is the installed firewalld's version.
func installedVersion(t *testing.T) fwconfig.FirewalldVersion {
	t.Helper()
	out, err := sandbox.Run(context.Background(), nil, "firewall-offline-cmd", "--version")
	v := fwconfig.ParseFirewalldVersion(strings.TrimSpace(out), "firewall-offline-cmd")
	if err != nil || !v.Known() {
		t.Fatalf("firewall-offline-cmd --version: %q %v", out, err)
	}
	return v
}

// comparable reduces a zone to sorted text, the way firewall-cmd lists it.
func comparable(z ruleset.Zone) map[string][]string {
	var rules []string
	for _, r := range z.RichRules {
		rules = append(rules, r.Text)
	}
	return map[string][]string{
		"target":     {z.Target},
		"services":   sortedCopy(z.Services),
		"ports":      sortedCopy(portStrings(z.Ports)),
		"rich rules": sortedCopy(rules),
	}
}

// TestViewsEqualFirewallCmd configures a zone with services, ports, a port
// range, rich rules of several shapes and a custom service, then checks that
// our permanent view (XML) equals `firewall-cmd --permanent --list-all`, and
// our runtime view (D-Bus and CLI) equals `firewall-cmd --list-all`.
func TestViewsEqualFirewallCmd(t *testing.T) {
	fw := startFirewalld(t)
	custom := `<?xml version="1.0" encoding="utf-8"?>
<service>
  <short>Mail admin</short>
  <port protocol="tcp" port="4190"/>
  <port protocol="tcp" port="8443-8444"/>
  <include service="imaps"/>
</service>
`
	if err := os.WriteFile(filepath.Join(fw.ConfigDir, "services", "mailadmin.xml"), []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := fw.Cmd("--reload"); err != nil {
		t.Fatal(err, out)
	}
	permanent := [][]string{
		{"--add-service=smtp"}, {"--add-service=mailadmin"},
		{"--add-port=2525/tcp"}, {"--add-port=10000-10010/udp"},
		{`--add-rich-rule=rule family="ipv4" source address="192.0.2.0/24" service name="imap" accept`},
		{`--add-rich-rule=rule priority="5" family="ipv6" source NOT address="2001:db8::/32" port port="8080" protocol="tcp" log prefix="web" level="info" limit value="2/m" drop`},
		{`--add-rich-rule=rule family="ipv4" source address="198.51.100.7" reject type="icmp-host-prohibited"`},
		{`--add-rich-rule=rule service name="https" audit accept limit value="10/s"`},
	}
	for _, args := range permanent {
		if out, err := fw.Cmd(append([]string{"--permanent"}, args...)...); err != nil {
			t.Fatal(err, out)
		}
	}
	if out, err := fw.Cmd("--reload"); err != nil {
		t.Fatal(err, out)
	}
	// Runtime-only differences, so the two views are not the same.
	for _, args := range [][]string{{"--add-service=imaps"}, {"--add-port=4190/tcp"}, {`--add-rich-rule=rule family="ipv4" source address="203.0.113.9" port port="993" protocol="tcp" reject type="icmp-port-unreachable"`}} {
		if out, err := fw.Cmd(args...); err != nil {
			t.Fatal(err, out)
		}
	}

	dirs := fwconfig.Dirs{ConfigDir: fw.ConfigDir, DefaultDir: fw.DefaultDir}
	ctx := context.Background()
	files, err := remote.Local{}.ReadFiles(ctx, fwconfig.PermanentPatterns(dirs), expat.MaxFileBytes)
	if err != nil {
		t.Fatal(err)
	}
	_, pc := fwconfig.LoadPermanent(dirs, files, installedVersion(t))
	pv, err := pc.PermanentRuleset([]string{"public"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := fw.Cmd("--permanent", "--list-all")
	if err != nil {
		t.Fatal(err, out)
	}
	want, err := ParseListAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := comparable(*pv.Zones["public"]); !reflect.DeepEqual(got, comparable(want)) {
		t.Errorf("permanent view differs from firewall-cmd --permanent --list-all:\n got %v\nwant %v", got, comparable(want))
	}
	if got, _ := pv.Service("mailadmin"); len(got.Ports) != 3 {
		t.Errorf("custom service with include resolved to %v, want 4190/tcp, 8443-8444/tcp, 993/tcp", got)
	}

	bus := &DBusSource{Address: fw.BusAddress}
	if err := bus.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	rv, err := bus.runtimeRuleset(ctx, "public")
	if err != nil {
		t.Fatal(err)
	}
	out, err = fw.Cmd("--list-all")
	if err != nil {
		t.Fatal(err, out)
	}
	want, err = ParseListAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := comparable(*rv.Zones["public"]); !reflect.DeepEqual(got, comparable(want)) {
		t.Errorf("D-Bus runtime view differs from firewall-cmd --list-all:\n got %v\nwant %v", got, comparable(want))
	}
	prefetchServices(rv, "public", bus.serviceLookup(ctx))
	if got, _ := rv.Service("mailadmin"); len(got.Ports) != 3 {
		t.Errorf("runtime custom service resolved to %v, want 3 ports including the include", got)
	}
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", fw.BusAddress)
	cv, err := cliRuntime(ctx, remote.Local{}, "/usr/bin/firewall-cmd", "")
	if err != nil {
		t.Fatal(err)
	}
	if cv.DefaultZone != "public" || !reflect.DeepEqual(comparable(*cv.Zones["public"]), comparable(*rv.Zones["public"])) {
		t.Errorf("CLI view %v differs from D-Bus view %v", comparable(*cv.Zones["public"]), comparable(*rv.Zones["public"]))
	}

	items, bans := Diff(*rv.Zones["public"], *pv.Zones["public"])
	if bans != 1 || len(items) != 2 {
		t.Errorf("diff: %d bans, items %+v; want 1 ban and imaps + 4190/tcp", bans, items)
	}
}

// TestShippedServicesMatchFirewalld resolves every service file the firewalld
// package ships and compares its ports (with includes followed) to what
// firewall-offline-cmd --info-service reports for it and its includes.
func TestShippedServicesMatchFirewalld(t *testing.T) {
	entries, err := os.ReadDir("/usr/lib/firewalld/services")
	if err != nil || len(entries) < 100 {
		t.Fatalf("firewalld's service files: %v (%d files; make deps installs firewalld)", err, len(entries))
	}
	type info struct{ ports, includes []string }
	infos := map[string]info{}
	var mu sync.Mutex
	names := make(chan string)
	var wg sync.WaitGroup
	var failures []string
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				out, err := sandbox.Run(context.Background(), nil, "firewall-offline-cmd", "--info-service="+name)
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				}
				infos[name] = info{field(out, "ports"), field(out, "includes")}
				mu.Unlock()
			}
		}()
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".xml") {
			names <- strings.TrimSuffix(e.Name(), ".xml")
		}
	}
	close(names)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("firewall-offline-cmd failed: %v", failures[0])
	}

	var expand func(name string, seen map[string]bool) []string
	expand = func(name string, seen map[string]bool) []string {
		if seen[name] {
			return nil
		}
		seen[name] = true
		ports := append([]string(nil), infos[name].ports...)
		for _, inc := range infos[name].includes {
			ports = append(ports, expand(inc, seen)...)
		}
		return ports
	}
	dirs := fwconfig.Dirs{ConfigDir: t.TempDir(), DefaultDir: "/usr/lib/firewalld"}
	files, err := remote.Local{}.ReadFiles(context.Background(), fwconfig.PermanentPatterns(dirs), expat.MaxFileBytes)
	if err != nil {
		t.Fatal(err)
	}
	_, pc := fwconfig.LoadPermanent(dirs, files, installedVersion(t))
	pv, err := pc.PermanentRuleset(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name := range infos {
		svc, err := pv.Definition(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, want := uniqueSorted(portStrings(svc.Ports)), uniqueSorted(expand(name, map[string]bool{}))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("service %s: we resolve %v, firewalld says %v", name, got, want)
		}
	}
	t.Logf("compared %d shipped services", len(infos))
}

func field(out, key string) []string {
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == key {
			return strings.Fields(v)
		}
	}
	return nil
}

func uniqueSorted(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// TestDiffIngressPriority: a zone whose permanent ingress-priority was
// changed without a reload (firewalld 2.x) is drift: the next reload
// changes which zone catches clients first. The fix names the zone.
func TestDiffIngressPriority(t *testing.T) {
	rt := ruleset.Zone{Name: "internal", Target: "default"}
	pm := rt
	pm.IngressPriority = -1
	items, _ := Diff(rt, pm)
	if len(items) != 1 || items[0].Kind != "ingress-priority" ||
		items[0].Describe() != "zone ingress-priority differs: runtime 0, permanent -1 (the next reload changes which zone catches clients first)" ||
		items[0].Fix("internal") != "firewall-cmd --permanent --zone=internal --set-ingress-priority=<wanted> && firewall-cmd --reload" {
		t.Fatalf("items %+v", items)
	}
	if items, _ := Diff(rt, rt); len(items) != 0 {
		t.Errorf("equal zones: %+v", items)
	}
}
