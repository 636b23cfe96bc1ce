package firewalld

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

var diffPools = map[string][]string{
	"port":   {"993", "0", "65535", "65536", "1-10", "10-1", "5-5", "imaps", "imaps-pop3s", "ftp-data", "1_0", " 5", "+5", "-5", "", "5-", "-", "http-alt", "1-65536", "a", "993 ", "0x10", "١"},
	"proto":  {"tcp", "udp", "xyz", "esp", "6", "256", "TCP", "icmp", "sctp", "dccp", "", "-1", " 6"},
	"addr4":  {"10.0.0.1", "10.0.0.0/8", "10.0.0.0/255.0.0.0", "10.0.0.0/33", "01.2.3.4", "10.0.0.0/ 8", "10.0.0.0/+8", "1.2.3.4/", "/8", "0.0.0.0/0", "1.2.3", "10.0.0.0/8/8", "10.0.0.0/1_0", "1.2.3.4/255.0.255.0"},
	"addr6":  {"::1", "[::1]", "fe80::1%eth0", "::ffff:1.2.3.4", "2001:db8::/32", "2001:db8::/129", "[2001:db8::]/32", "::/0", "1::2::3", "2001:db8::/ 32"},
	"mac":    {"00:11:22:33:44:55", "00:11:22:33:44:5", "00-11-22-33-44-55", "aa:bb:cc:dd:ee:FF"},
	"family": {"", "ipv4", "ipv6", "ipv5"},
	"prefix": {"x", `it&quot;s`, "a=b", "a b", `a\`, "a'b", "", `a&quot;b&quot;c`, `\&quot;`, "x&#10;y", strings.Repeat("p", 128)},
	"level":  {"info", "warning", "bogus", ""},
	"limit":  {"1/m", "1/minute", "0/s", "1/d", "2/d", "x", "2/week", "1_0/s", "1/s/s", "+1/m", " 1/m"},
	"mark":   {"1", "0x1/0xff", "1/2/3", "-1", "4294967296", "0o7", "010", "0x", "1/"},
	"target": {"ACCEPT", "DROP", "%%REJECT%%", "REJECT", "default", "", "{chain}_{zone}", "accept"},
	"iface":  {"eth0", "a b", "a/b", "verylongifacename0", "e*", "e:1", ""},
	"prio":   {"0", "-10", "10", "40000", "-32768", "x", " 5", "1_0", "+3"},
	"rtype":  {"icmp-port-unreachable", "tcp-reset", "icmp6-adm-prohibited", "bogus", ""},
	"svc":    {"imaps", "smtp", "nosuch", ""},
	"icmp":   {"echo-request", "nosuch", "neighbour-advertisement", ""},
	"mss":    {"pmtu", "536", "535", "None", "x", ""},
	"toaddr": {"192.0.2.1", "2001:db8::1", "bogus", "10.0.0.0/8", ""},
}

func diffPick(r *rand.Rand, k string) string { p := diffPools[k]; return p[r.Intn(len(p))] }

func diffRule(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("<rule")
	if r.Intn(2) == 0 {
		fmt.Fprintf(&b, ` family="%s"`, diffPick(r, "family"))
	}
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, ` priority="%s"`, diffPick(r, "prio"))
	}
	b.WriteString(">")
	if r.Intn(2) == 0 {
		inv := ""
		if r.Intn(3) == 0 {
			inv = ` invert="yes"`
		}
		switch r.Intn(5) {
		case 0:
			fmt.Fprintf(&b, `<source address="%s"%s/>`, diffPick(r, "addr4"), inv)
		case 1:
			fmt.Fprintf(&b, `<source address="%s"%s/>`, diffPick(r, "addr6"), inv)
		case 2:
			fmt.Fprintf(&b, `<source mac="%s"%s/>`, diffPick(r, "mac"), inv)
		case 3:
			fmt.Fprintf(&b, `<source ipset="allow"%s/>`, inv)
		default:
			b.WriteString(`<source/>`)
		}
	}
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, `<destination address="%s"/>`, diffPick(r, "addr4"))
	}
	n := r.Intn(3)
	for i := 0; i < n; i++ {
		switch r.Intn(10) {
		case 0:
			fmt.Fprintf(&b, `<service name="%s"/>`, diffPick(r, "svc"))
		case 1:
			fmt.Fprintf(&b, `<port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		case 2:
			fmt.Fprintf(&b, `<protocol value="%s"/>`, diffPick(r, "proto"))
		case 3:
			fmt.Fprintf(&b, `<forward-port port="%s" protocol="tcp" to-port="%s" to-addr="%s"/>`, diffPick(r, "port"), diffPick(r, "port"), diffPick(r, "toaddr"))
		case 4:
			fmt.Fprintf(&b, `<icmp-block name="%s"/>`, diffPick(r, "icmp"))
		case 5:
			fmt.Fprintf(&b, `<icmp-type name="%s"/>`, diffPick(r, "icmp"))
		case 6:
			b.WriteString(`<masquerade/>`)
		case 7:
			fmt.Fprintf(&b, `<tcp-mss-clamp value="%s"/>`, diffPick(r, "mss"))
		case 8:
			fmt.Fprintf(&b, `<source-port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		default:
			b.WriteString(`<service name="imaps"/>`)
		}
	}
	if r.Intn(2) == 0 {
		if r.Intn(2) == 0 {
			fmt.Fprintf(&b, `<log prefix="%s" level="%s">`, diffPick(r, "prefix"), diffPick(r, "level"))
		} else {
			fmt.Fprintf(&b, `<nflog prefix="%s" group="%s">`, diffPick(r, "prefix"), diffPick(r, "prio"))
		}
		if r.Intn(2) == 0 {
			fmt.Fprintf(&b, `<limit value="%s"/>`, diffPick(r, "limit"))
		}
		if r.Intn(2) == 0 {
			b.WriteString("</log>")
		} else {
			b.WriteString("</nflog>")
		}
	}
	if r.Intn(4) == 0 {
		b.WriteString("<audit/>")
	}
	if r.Intn(5) != 0 {
		switch r.Intn(4) {
		case 0:
			b.WriteString("<accept>")
			if r.Intn(2) == 0 {
				fmt.Fprintf(&b, `<limit value="%s"/>`, diffPick(r, "limit"))
			}
			b.WriteString("</accept>")
		case 1:
			fmt.Fprintf(&b, `<reject type="%s"/>`, diffPick(r, "rtype"))
		case 2:
			b.WriteString("<drop/>")
		default:
			fmt.Fprintf(&b, `<mark set="%s"/>`, diffPick(r, "mark"))
		}
	}
	b.WriteString("</rule>")
	return strings.Replace(b.String(), "</log></nflog>", "</nflog>", 1)
}

func diffZone(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("<zone")
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, ` target="%s"`, diffPick(r, "target"))
	}
	b.WriteString(">")
	n := 1 + r.Intn(4)
	for i := 0; i < n; i++ {
		switch r.Intn(9) {
		case 0:
			fmt.Fprintf(&b, `<service name="%s"/>`, diffPick(r, "svc"))
		case 1:
			fmt.Fprintf(&b, `<port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		case 2:
			fmt.Fprintf(&b, `<protocol value="%s"/>`, diffPick(r, "proto"))
		case 3:
			fmt.Fprintf(&b, `<source address="%s"/>`, []string{diffPick(r, "addr4"), diffPick(r, "addr6"), diffPick(r, "mac")}[r.Intn(3)])
		case 4:
			fmt.Fprintf(&b, `<interface name="%s"/>`, diffPick(r, "iface"))
		case 5:
			fmt.Fprintf(&b, `<forward-port port="%s" protocol="tcp" to-port="%s"/>`, diffPick(r, "port"), diffPick(r, "port"))
		case 6:
			fmt.Fprintf(&b, `<icmp-block name="%s"/>`, diffPick(r, "icmp"))
		default:
			b.WriteString(diffRule(r))
		}
	}
	b.WriteString("</zone>")
	return b.String()
}

func diffService(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("<service>")
	for i := 0; i < 1+r.Intn(3); i++ {
		switch r.Intn(8) {
		case 0:
			fmt.Fprintf(&b, `<port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		case 1:
			fmt.Fprintf(&b, `<protocol value="%s"/>`, diffPick(r, "proto"))
		case 2:
			fmt.Fprintf(&b, `<destination ipv4="%s" ipv6="%s"/>`, diffPick(r, "addr4"), diffPick(r, "addr6"))
		case 3:
			fmt.Fprintf(&b, `<module name="%s"/>`, []string{"nf_conntrack_ftp", "x", "nf_conntrack_", "nf_conntrack_a"}[r.Intn(4)])
		case 4:
			fmt.Fprintf(&b, `<include service="%s"/>`, diffPick(r, "svc"))
		case 5:
			fmt.Fprintf(&b, `<source-port port="%s" protocol="%s"/>`, diffPick(r, "port"), diffPick(r, "proto"))
		case 6:
			b.WriteString(`<port protocol="tcp"/>`)
		default:
			fmt.Fprintf(&b, `<helper name="%s"/>`, "ftp")
		}
	}
	b.WriteString("</service>")
	return b.String()
}

func diffPolicy(r *rand.Rand) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<policy target="%s" priority="%s">`, []string{"ACCEPT", "REJECT", "DROP", "CONTINUE", "%%REJECT%%"}[r.Intn(5)], diffPick(r, "prio"))
	zones := []string{"public", "HOST", "ANY", "nosuch", "work"}
	for i := 0; i < r.Intn(3); i++ {
		fmt.Fprintf(&b, `<ingress-zone name="%s"/>`, zones[r.Intn(len(zones))])
	}
	for i := 0; i < r.Intn(3); i++ {
		fmt.Fprintf(&b, `<egress-zone name="%s"/>`, zones[r.Intn(len(zones))])
	}
	if r.Intn(3) == 0 {
		b.WriteString("<masquerade/>")
	}
	if r.Intn(2) == 0 {
		b.WriteString(diffRule(r))
	}
	if r.Intn(3) == 0 {
		fmt.Fprintf(&b, `<service name="%s"/>`, diffPick(r, "svc"))
	}
	b.WriteString("</policy>")
	return b.String()
}

func diffIPSet(r *rand.Rand) string {
	types := []string{"hash:ip", "hash:net", "hash:mac", "hash:ip,port", "hash:foo", ""}
	var b strings.Builder
	fmt.Fprintf(&b, `<ipset type="%s">`, types[r.Intn(len(types))])
	for i := 0; i < r.Intn(3); i++ {
		names := []string{"family", "timeout", "hashsize", "maxelem", "bogus"}
		vals := []string{"inet", "inet6", "10", "-1", "x", "", "1_0"}
		fmt.Fprintf(&b, `<option name="%s" value="%s"/>`, names[r.Intn(len(names))], vals[r.Intn(len(vals))])
	}
	for i := 0; i < r.Intn(3); i++ {
		fmt.Fprintf(&b, `<entry>%s</entry>`, diffPick(r, "addr4"))
	}
	b.WriteString("</ipset>")
	return b.String()
}

func diffWrite(t *testing.T, path, content string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// offlineCheckScript runs firewalld's own check (Firewall(offline=True)
// .start() and check_on_disk_config, what firewall-offline-cmd
// --check-config does) on each ConfigDir read from stdin, in one Python
// process: a few ms a case instead of half a second.
const offlineCheckScript = `import sys, json, io, contextlib
sys.argv=['x']
from firewall import config
from firewall.core.logger import log
log.setInfoLogLevel(0); log.setDebugLogLevel(0)
import firewall.core.logger as L
from firewall.core.fw import Firewall
from firewall.core.io.functions import check_on_disk_config
defaults = sys.stdin.readline().strip()
out = {}
for line in sys.stdin:
    d = line.strip()
    config.set_system_config_paths(d)
    config.set_default_config_paths(defaults)
    err = ""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            fw = Firewall(offline=True)
            fw.start()
            check_on_disk_config(fw)
    except Exception as e:
        err = str(e) or type(e).__name__
        if not err: err = "error"
    out[d] = err
json.dump(out, sys.stdout)
`

// TestValidatePermanentAgreesOnGeneratedConfigs generates zone, service,
// policy and ipset files from diffPools of odd values (Unicode digits, Python
// int() forms, masks, quotes and '=' in log prefixes, reserved targets…)
// and asserts ValidatePermanent refuses exactly those firewalld refuses.
// FW_DIFF_CASES raises the count, FW_DIFF_SEED changes the seed.
func TestValidatePermanentAgreesOnGeneratedConfigs(t *testing.T) {
	defaults := t.TempDir()
	copyTree(t, "/usr/lib/firewalld", defaults)
	root := t.TempDir()
	seed, n := int64(1), 150
	if v, err := strconv.ParseInt(os.Getenv("FW_DIFF_SEED"), 10, 64); err == nil {
		seed = v
	}
	if v, err := strconv.Atoi(os.Getenv("FW_DIFF_CASES")); err == nil {
		n = v
	}
	r := rand.New(rand.NewSource(seed))
	mine := map[string]string{}
	texts := map[string]string{}
	var dirs []string
	for i := 0; i < n; i++ {
		d := filepath.Join(root, fmt.Sprint(i))
		diffWrite(t, filepath.Join(d, "ipsets/allow.xml"), `<ipset type="hash:ip"/>`)
		diffWrite(t, filepath.Join(d, "firewalld.conf"), "DefaultZone=public\n")
		var z, p string
		switch r.Intn(4) {
		case 0:
			z, p = diffService(r), "services/mail.xml"
		case 1:
			z, p = diffPolicy(r), "policies/out.xml"
		case 2:
			z, p = diffIPSet(r), "ipsets/other.xml"
		default:
			z, p = diffZone(r), "zones/public.xml"
		}
		texts[d] = p + ": " + z
		diffWrite(t, filepath.Join(d, p), z)
		dd := Dirs{ConfigDir: d, DefaultDir: defaults}
		files, err := remote.Local{}.ReadFiles(context.Background(), PermanentPatterns(dd), maxXMLBytes)
		if err != nil {
			t.Fatal(err)
		}
		var ps []ConfigProblem
		for _, p := range ValidatePermanent(dd, files) {
			// what only the reload finds is beyond --check-config
			if !strings.Contains(p.Reason, "the reload fails applying zone") {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			mine[d] = ps[0].Reason
		} else {
			mine[d] = ""
		}
		dirs = append(dirs, d)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", offlineCheckScript)
	cmd.Stdin = strings.NewReader(defaults + "\n" + strings.Join(dirs, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("firewalld's check in /usr/bin/python3 (%s): %v %s", firewalldInstall, err, stderr.String())
	}
	var fw map[string]string
	if err := json.Unmarshal(out, &fw); err != nil || len(fw) != n {
		t.Fatalf("firewalld's check answered %d of %d cases: %v", len(fw), n, err)
	}
	bad := 0
	for _, d := range dirs {
		if (fw[d] == "") != (mine[d] == "") {
			bad++
			t.Errorf("verdicts differ\n  zone: %s\n  firewalld: %q\n  mine: %q", texts[d], fw[d], mine[d])
		}
	}
	t.Logf("%d cases (seed %d), %d mismatches", n, seed, bad)
}
