package fwconfig

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/netdb"
)

// getPortRangeScript prints firewalld's own functions.getPortRange for
// each line of stdin: [lo, hi] or a negative number or null.
const getPortRangeScript = `
import json, sys
from firewall.functions import getPortRange
out = {}
for line in sys.stdin.read().split("\n"):
    if line:
        r = getPortRange(line)
        out[line] = [r[0], r[-1]] if isinstance(r, tuple) else r
print(json.dumps(out))
`

// Port names resolve to the numbers firewalld's own getPortRange gives,
// through the same /etc/services (names, aliases, "name-name" ranges and
// their ambiguous splits).
func TestPortNamesMatchFirewalldsGetPortRange(t *testing.T) {
	services, err := os.ReadFile("/etc/services")
	if err != nil {
		t.Fatal(err)
	}
	db := NetDB{services: netdb.Parse(services, "")}
	inputs := []string{"imaps", "imap-imaps", "993", "10-1", "ftp-data", "ftp-data-ssh", "nosuch", "0993", "65536",
		"imaps-10", "submission", "smtp-submission", "x11-1", "http-alt", "https-nosuch", "1-2-3", "smtp-smtp"}
	cmd := exec.Command("/usr/bin/python3", "-c", getPortRangeScript)
	cmd.Stdin = strings.NewReader(strings.Join(inputs, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("firewalld's getPortRange in /usr/bin/python3 (%s): %v %s", firewalldInstall, err, stderr.String())
	}
	var want map[string]any
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, in := range inputs {
		lo, hi, ok := db.portRange(in)
		var got any = nil
		if ok {
			got = []any{float64(lo), float64(hi)}
		}
		w := want[in]
		if n, isNum := w.(float64); isNum && n < 0 {
			w = nil // -1, -2: no port
		}
		if gj, _ := json.Marshal(got); string(gj) != mustJSON(t, w) {
			t.Errorf("%q: we resolve %s, firewalld %s", in, gj, mustJSON(t, w))
		}
	}
	if p := db.numericPort(ruleset.Port{Port: "imaps", Protocol: "tcp"}); p != (ruleset.Port{Port: "993", Protocol: "tcp"}) {
		t.Errorf("numericPort(imaps/tcp) = %v", p)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
