package fwconfig

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/expat"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// configXML is every XML file of testdata/config, to seed the fuzz targets.
func configXML(f *testing.F) [][]byte {
	return sandbox.FilesUnder(f, "testdata/config", ".xml")
}

var fuzzDirs = Dirs{ConfigDir: "/fz/etc/firewalld", DefaultDir: "/fz/usr/lib/firewalld"}

// FuzzValidateConfigFile runs one input as a zone, a service, a policy,
// an ipset, an icmptype and a helper file at once (beside a minimal stock
// tree): each problem names one of those files, and a problem-free input
// really is one the parser reads.
func FuzzValidateConfigFile(f *testing.F) {
	for _, b := range configXML(f) {
		f.Add(b)
	}
	stock := []remote.File{{Path: "/etc/services", Data: []byte("imaps 993/tcp\nsmtp 25/tcp mail\n")},
		{Path: "/etc/protocols", Data: []byte("tcp 6 TCP\nudp 17 UDP\nesp 50 IPSEC-ESP\n")}}
	for _, z := range []string{"block", "drop", "trusted"} {
		stock = append(stock, remote.File{Path: fuzzDirs.DefaultDir + "/zones/" + z + ".xml", Data: []byte("<zone/>")})
	}
	stock = append(stock, remote.File{Path: fuzzDirs.DefaultDir + "/services/imaps.xml", Data: []byte(`<service><port port="993" protocol="tcp"/></service>`)})
	kinds := map[string]string{"zones": "public", "services": "mail", "policies": "out", "ipsets": "allow", "icmptypes": "ping2", "helpers": "ftp2"}
	f.Fuzz(func(t *testing.T, data []byte) {
		files := append([]remote.File(nil), stock...)
		mine := map[string]bool{}
		for kind, name := range kinds {
			p := fuzzDirs.ConfigDir + "/" + kind + "/" + name + ".xml"
			files = append(files, remote.File{Path: p, Data: data})
			mine[p] = true
		}
		problems := ValidatePermanent(fuzzDirs, files, FirewalldVersion{}) // unknown: both releases' rules
		for _, p := range problems {
			if !mine[p.Path] || p.Reason == "" || strings.ContainsAny(p.Reason, "\r\n") {
				t.Fatalf("problem %+v", p)
			}
		}
		if len(problems) == 0 {
			if _, err := expat.Parse(data); err != nil {
				t.Fatalf("no problem reported, but the parser refuses it: %v", err)
			}
		}
		ConfigWarnings(fuzzDirs, append(files, remote.File{Path: fuzzDirs.ConfigDir + "/firewalld.conf", Data: data}), FirewalldVersion{})
	})
}

// richSeeds are rules as firewalld prints them, and as the corpus holds them.
var richSeeds = []string{
	`rule family="ipv4" source address="192.0.2.0/24" service name="imaps" accept`,
	`rule priority="-10" service name="imaps" reject`,
	`rule family="ipv6" source NOT address="2001:db8::/32" port port="993" protocol="tcp" log prefix="imaps " level="info" limit value="3/m" drop`,
	`rule family="ipv4" forward-port port="993" protocol="tcp" to-port="9993" to-addr="192.0.2.1"`,
	`rule family="ipv4" source ipset="allow" service name="smtp" audit limit value="1/h" accept`,
	`rule protocol value="esp" mark set=0x1/0xff`,
	`rule family="ipv4" source mac="00:11:22:33:44:55" masquerade`,
	`rule family="ipv4" service name="imaps" log prefix="it"s" accept`,
	`rule family="ipv4" icmp-block name="echo-request"`,
	`rule tcp-mss-clamp value="pmtu"`,
	`rule family="ipv4" service name="imaps" nflog group="5" queue-size="10" accept`,
	`rule family='ipv4' service name=imaps reject type="icmp-port-unreachable"`,
}

// FuzzParseRichRule drives both rich-rule readers: ParseRichRule (the
// plugin's, for runtime rules) and parseRuleString (firewalld's
// _import_from_string, for the config check). Neither may panic; a rule
// parseRuleString accepts prints as a rule that starts with "rule".
func FuzzParseRichRule(f *testing.F) {
	for _, s := range richSeeds {
		f.Add(s)
	}
	db := NetDB{services: map[string]int64{"imaps": 993}, protocols: map[string]int64{"tcp": 6, "esp": 50}}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ruleset.ParseRichRule(s)
		for _, v2 := range []bool{false, true} {
			r, err := parseRuleString(s, db, v2)
			if err == nil && !strings.HasPrefix(r.String(), "rule") {
				t.Fatalf("%q read as %q", s, r.String())
			}
		}
		// Without quotes or backslashes shlex splits on whitespace only
		// (Python strings are valid Unicode, hence the UTF-8 condition).
		if _, err := pyShlexSplit(s); err == nil && utf8.ValidString(s) && strings.Count(s, `"`) == 0 && strings.Count(s, `'`) == 0 && !strings.Contains(s, `\`) {
			if w, _ := pyShlexSplit(s); strings.Join(w, " ") != strings.Join(strings.FieldsFunc(s, isShlexSpace), " ") {
				t.Fatalf("shlex split %q as %q", s, w)
			}
		}
	})
}

func isShlexSpace(r rune) bool { return strings.ContainsRune(" \t\r\n", r) }
