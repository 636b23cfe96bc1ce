package firewalld

import (
	"os"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

func readZone(t *testing.T, zoneXML string) *ruleset.Zone {
	t.Helper()
	d := fwconfig.Dirs{ConfigDir: "/etc/firewalld", DefaultDir: "/usr/lib/firewalld"}
	files := []remote.File{{Path: d.ConfigDir + "/zones/public.xml", Data: []byte(zoneXML)}}
	paths := append([]string(nil), fwconfig.NetDBFiles...)
	for _, svc := range []string{"imap", "imaps", "ssh", "https"} { // the services the cases name
		paths = append(paths, d.DefaultDir+"/services/"+svc+".xml")
	}
	for _, db := range paths {
		data, err := os.ReadFile(db)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, remote.File{Path: db, Data: data})
	}
	_, c := fwconfig.LoadPermanent(d, files, fwconfig.ParseFirewalldVersion("1.3.3", "test"))
	rs, err := c.PermanentRuleset(nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs.Zones["public"]
}

// ruleXML reads one <rule> element as the zone reader keeps it.
func ruleXML(t *testing.T, x string) ruleset.RichRule {
	t.Helper()
	z := readZone(t, "<zone>"+x+"</zone>")
	if len(z.RichRules) != 1 {
		t.Fatalf("%s: kept %d rules, skipped %v", x, len(z.RichRules), z.Skipped)
	}
	return z.RichRules[0]
}

// The permanent XML renders as the string firewalld reports at runtime
// (Rich_Rule.__str__), so equal rules are no drift; the runtime strings
// below were printed by firewall-cmd 1.3 for the XML next to them.
func TestRichRuleCanonicalFormMatchesFirewalld(t *testing.T) {
	cases := []struct{ xml, runtime string }{
		{`<rule priority="-10"><service name="imaps"/><reject/></rule>`, `rule priority="-10" service name="imaps" reject`},
		{`<rule family="ipv4"><source address="10.0.0.0/8" invert="True"/><service name="imaps"/><log prefix="it&apos;s" level="info"><limit value="2/minute"/></log><accept/></rule>`,
			`rule family="ipv4" source NOT address="10.0.0.0/8" service name="imaps" log prefix="it's" level="info" limit value="2/m" accept`},
		{`<rule family="ipv4"><forward-port port="993" protocol="tcp" to-port="10993"/></rule>`, `rule family="ipv4" forward-port port="993" protocol="tcp" to-port="10993"`},
		{`<rule><source mac="52:54:00:aa:bb:cc"/><mark set="0x1/0xff"/></rule>`, `rule source mac="52:54:00:AA:BB:CC" mark set=0x1/0xff`},
		{`<rule priority="-010" family="ipv6"><protocol value="tcp"/><drop><limit value="1/s"/></drop></rule>`, `rule priority="-10" family="ipv6" protocol value="tcp" drop limit value="1/s"`},
	}
	for _, c := range cases {
		x := ruleXML(t, c.xml)
		if x.Text != c.runtime {
			t.Errorf("XML renders\n %s\nfirewalld prints\n %s", x.Text, c.runtime)
		}
		rt, err := ruleset.ParseRichRule(c.runtime)
		if err != nil {
			t.Fatal(err)
		}
		if rt.String() != c.runtime {
			t.Errorf("runtime string re-renders as %q", rt.String())
		}
	}
}

// Rules Rich_Rule.check refuses are skipped by firewalld's zone reader,
// so they are neither judged nor drift.
func TestRulesFirewalldSkips(t *testing.T) {
	for _, c := range []struct{ xml, why string }{
		{`<rule><source address="10.0.0.0/8"/><service name="imaps"/><accept/></rule>`, "MISSING_FAMILY"},
		{`<rule><forward-port port="993" protocol="tcp" to-port="1"/></rule>`, "MISSING_FAMILY"},
		{`<rule family="ipv4"><source address="10.0.0.0/33"/><accept/></rule>`, "INVALID_ADDR"},
		{`<rule><service name="imaps"/></rule>`, "no action"},
		{`<rule family="ipv5"><service name="imaps"/><accept/></rule>`, ""}, // 1.3 drops it unlogged
		{`<rule><accept/></rule>`, "no element, no source"},
	} {
		z := readZone(t, "<zone>"+c.xml+"</zone>")
		if len(z.RichRules) != 0 || (c.why != "" && (len(z.Skipped) != 1 || !strings.Contains(z.Skipped[0], c.why))) {
			t.Errorf("%s: kept %d rules, skipped %q; want it skipped for %s", c.xml, len(z.RichRules), z.Skipped, c.why)
		}
	}
	zone := `<zone><service name="imaps"/><rule><source address="10.0.0.0/8"/><service name="imaps"/><reject/></rule>` +
		`<rule priority="1"><service name="ssh"/><accept/></rule><rule priority="1"><service name="ssh"/><accept/></rule></zone>`
	z := readZone(t, zone)
	if len(z.RichRules) != 1 || len(z.Skipped) != 1 || !strings.Contains(z.Skipped[0], "MISSING_FAMILY") {
		t.Fatalf("want one rule kept (the duplicate dropped) and one skipped: %+v", z)
	}
	runtime := &ruleset.Zone{Name: "public", Target: "default", Services: []string{"imaps"}, RichRules: z.RichRules}
	z.Target = "default"
	if items, _ := Diff(*runtime, *z); len(items) != 0 {
		t.Fatalf("bogus drift: %+v", items)
	}
}

// firewall-cmd --list-all prints a notice first when the default zone is
// not active (a source-bound zone is): the zone still parses.
