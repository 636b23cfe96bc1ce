package ruleset

import (
	"strings"
	"testing"
)

func TestRichRuleParsing(t *testing.T) {
	r, err := ParseRichRule(`rule family="ipv4" source NOT address="192.0.2.0/24" port port="993" protocol="tcp" accept`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Family != "ipv4" || r.Source == nil || !r.Source.Invert || r.Source.Value != "192.0.2.0/24" || r.Port != (Port{"993", "tcp"}) || r.Action != "accept" {
		t.Fatalf("parsed %+v", r)
	}
	if r.String() != r.Text {
		t.Fatalf("canonical %q, given %q", r.String(), r.Text)
	}
	ban, _ := ParseRichRule(`rule family='ipv4' source address='203.0.113.7' port port='smtp' protocol='tcp' reject type='icmp-port-unreachable'`)
	if !ban.LooksLikeBan() {
		t.Fatalf("fail2ban's rule not recognised: %+v", ban)
	}
	fwd, _ := ParseRichRule(`rule priority="-7" family="ipv6" forward-port port="993" protocol="tcp" to-port="10993" log prefix="fw" level="info" limit value="5/m"`)
	if fwd.Priority != -7 || fwd.Element != "forward-port" || fwd.ToPort != "10993" || !strings.Contains(fwd.LogText, `limit value="5/m"`) {
		t.Fatalf("parsed %+v", fwd)
	}
	for _, bad := range []string{`service name="imap" accept`, `rule service name="imap`, `rule priority="x" accept`} {
		if _, err := ParseRichRule(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// readZone reads one zone file through the one reader of the permanent
// tree, as firewalld 1.3 loads it.
