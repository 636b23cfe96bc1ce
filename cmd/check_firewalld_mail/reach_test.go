package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// probe is one client connection from the client namespace to imaps.
type probe struct {
	src, dst string
	want     string // the listener's port that answers, "" = refused
}

var (
	v4     = probe{src: sandbox.ClientIPv4, dst: sandbox.MailIPv4}
	v4alt  = probe{src: sandbox.ClientAlt4, dst: sandbox.MailIPv4}
	v6     = probe{src: sandbox.ClientIPv6, dst: sandbox.MailIPv6}
	served = func(p probe, port string) probe { p.want = port; return p }
)

// TestVerdictMatchesWhatTheKernelLetsThrough configures firewalld as each
// of issue 10's cases does, probes port 993 from a second network
// namespace over a veth pair (something listens on 993 and 10993 inside
// firewalld's namespace), and requires the plugin's verdict to agree with
// what got through. The plugin reads the routes and addresses of
// firewalld's namespace, so it finds mail0 as the default-route interface
// and both families as served, as on a real host.
func TestVerdictMatchesWhatTheKernelLetsThrough(t *testing.T) {
	fw := startFirewalld(t)
	client := fw.ProbeClient(t, 993, 10993)

	cases := []struct {
		name   string
		setup  [][]string // firewall-cmd --permanent arguments, then a reload
		probes []probe
		args   []string // plugin flags beyond --service imaps
		code   int
		texts  []string
	}{
		{"service opens both families", [][]string{{"--add-service=imaps"}},
			[]probe{served(v4, "993"), served(v6, "993")}, nil, 0,
			[]string{"OK: all 1 required services and ports open in zone public", "IPv4 clients arrive on mail0 (from the default route)", "families judged: IPv4, IPv6 (from the host's global addresses)"}},
		{"reject rich rule at -10 beats the service", [][]string{{"--add-service=imaps"}, {`--add-rich-rule=rule priority="-10" family="ipv4" service name="imaps" reject`}},
			[]probe{v4, served(v6, "993")}, nil, 2,
			[]string{"imaps (993/tcp) is closed for IPv4 in runtime zone public (rich rule 'rule priority=\"-10\" family=\"ipv4\" service name=\"imaps\" reject')",
				"--remove-rich-rule='rule priority=\"-10\" family=\"ipv4\" service name=\"imaps\" reject'"}},
		{"interface bound to another zone", [][]string{{"--add-service=imaps"}, {"--zone=work", "--add-interface=" + sandbox.MailIfname}},
			[]probe{v4, v6}, nil, 2,
			[]string{"imaps closed in runtime zone work: mail is down now", "--zone=work --add-service=imaps"}},
		{"source-bound zone catches every IPv4 client", [][]string{{"--add-service=imaps"}, {"--zone=block", "--add-source=0.0.0.0/0"}},
			[]probe{v4, served(v6, "993")}, nil, 2,
			[]string{"imaps (993/tcp) is closed for IPv4 in runtime zone block (zone target %%REJECT%% (reject))"}},
		{"source-bound zone catches some clients: named", [][]string{{"--add-service=imaps"}, {"--zone=block", "--add-source=10.203.0.0/24"}},
			[]probe{v4, served(v6, "993")}, nil, 0,
			[]string{"IPv4 open except for 10.203.0.0/24 (zone target %%REJECT%% (reject))"}},
		{"ipv6-only accept leaves IPv4 refused", [][]string{{`--add-rich-rule=rule family="ipv6" service name="imaps" accept`}},
			[]probe{v4, served(v6, "993")}, nil, 2,
			[]string{"imaps IPv4 closed in runtime zone public: mail is down now"}},
		{"forward-port 993 reaches the listener on 10993 (IPv4 only, as firewalld builds it)", [][]string{{"--add-forward-port=port=993:proto=tcp:toport=10993"}},
			[]probe{served(v4, "10993"), v6}, nil, 2,
			[]string{"imaps (993/tcp) is closed for IPv6 in runtime zone public"}},
		{"forward-port judged for IPv4 alone", [][]string{{"--add-forward-port=port=993:proto=tcp:toport=10993"}},
			[]probe{served(v4, "10993")}, []string{"--family", "ipv4"}, 0,
			[]string{"forward-port port=993:proto=tcp:toport=10993:toaddr=", "forwarded to local port 10993"}},
		{"ipset entries refuse part of IPv4", [][]string{{"--new-ipset=bad", "--type=hash:net"}, {"--ipset=bad", "--add-entry=10.203.0.0/26"},
			{"--add-service=imaps"}, {`--add-rich-rule=rule source ipset="bad" reject`}},
			[]probe{v4, served(v4alt, "993"), served(v6, "993")}, nil, 0,
			[]string{"IPv4 open except for 10.203.0.0/26 (rich rule 'rule source ipset=\"bad\" reject')"}},
		{"a policy to HOST at priority -10 rejects before the zone's service", [][]string{{"--add-service=imaps"}, {"--new-policy=mailblock"},
			{"--policy=mailblock", "--add-ingress-zone=ANY"}, {"--policy=mailblock", "--add-egress-zone=HOST"}, {"--policy=mailblock", "--set-priority=-10"},
			{"--policy=mailblock", `--add-rich-rule=rule family="ipv4" service name="imaps" reject`}},
			[]probe{v4, served(v6, "993")}, nil, 2,
			[]string{"imaps (993/tcp) is closed for IPv4 in runtime zone public (policy mailblock: rich rule 'rule family=\"ipv4\" service name=\"imaps\" reject')"}},
		{"protocol tcp opens every tcp port", [][]string{{"--add-protocol=tcp"}},
			[]probe{served(v4, "993"), served(v6, "993")}, nil, 0,
			[]string{"(protocol tcp)"}},
		{"partial admission: open only for a source range", [][]string{{`--add-rich-rule=rule family="ipv4" source address="10.203.0.64/26" service name="imaps" accept`}},
			[]probe{v4, served(v4alt, "993")}, []string{"--family", "ipv4"}, 1,
			[]string{"is open only for 10.203.0.64/26"}},
		{"partial refusal: open except for a source range", [][]string{{"--add-service=imaps"}, {`--add-rich-rule=rule priority="-1" family="ipv4" source address="10.203.0.0/26" reject`}},
			[]probe{v4, served(v4alt, "993"), served(v6, "993")}, nil, 0,
			[]string{"IPv4 open except for 10.203.0.0/26"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resetPermanent(t, fw)
			for _, args := range c.setup {
				mustCmd(t, fw, append([]string{"--permanent"}, args...)...)
			}
			mustCmd(t, fw, "--reload")
			for _, p := range c.probes {
				got, err := client.Connect(p.src, p.dst, 993, 700*time.Millisecond)
				if p.want == "" && err == nil {
					t.Errorf("kernel let %s -> %s:993 through (answered %q); the case expects it refused", p.src, p.dst, got)
				}
				if p.want != "" && (err != nil || got != p.want) {
					t.Errorf("kernel: %s -> %s:993 got %q, %v; want the listener on %s", p.src, p.dst, got, err, p.want)
				}
			}
			args := append([]string{"--service", "imaps", "--family", "auto", "--proc-net", fw.ProcNet(), "-v"}, c.args...)
			code, out := check(t, fw, args...)
			expect(t, code, c.code, out, c.texts...)
			// firewall-cmd (the remote mode's runtime source) must agree. It
			// is two or three Python starts: a generous -t for a loaded box.
			cliCode, cliOut := check(t, fw, append(args, "--runtime-source", "cli", "-t", "60")...)
			if cliCode != code || firstLine(cliOut) != firstLine(out) {
				t.Fatalf("firewall-cmd and D-Bus disagree:\n%s\n---\n%s", out, cliOut)
			}
		})
	}
}

// resetPermanent brings the zones the cases touch back to their stock
// settings through firewalld itself (it keeps its permanent config in
// memory: files removed behind its back would come back at the next
// --permanent change).
func resetPermanent(t *testing.T, fw *sandbox.Firewalld) {
	t.Helper()
	for _, zone := range []string{"public", "work", "block"} {
		if _, err := os.Stat(filepath.Join(fw.ConfigDir, "zones", zone+".xml")); err == nil {
			mustCmd(t, fw, "--permanent", "--load-zone-defaults="+zone)
		}
	}
	if _, err := os.Stat(filepath.Join(fw.ConfigDir, "ipsets", "bad.xml")); err == nil {
		mustCmd(t, fw, "--permanent", "--delete-ipset=bad")
	}
	if _, err := os.Stat(filepath.Join(fw.ConfigDir, "policies", "mailblock.xml")); err == nil {
		mustCmd(t, fw, "--permanent", "--delete-policy=mailblock")
	}
}

// A --change-interface without --permanent moves the clients into another
// zone now; the permanent bindings still say public. The kernel refuses,
// the plugin says CRITICAL with the reload fix and names the binding drift.
func TestRuntimeOnlyInterfaceBindingIsJudgedPerView(t *testing.T) {
	fw, client := startProbedFirewalld(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	mustCmd(t, fw, "--zone=work", "--change-interface="+sandbox.MailIfname)
	if got, err := client.Connect(sandbox.ClientIPv4, sandbox.MailIPv4, 993, 700*time.Millisecond); err == nil {
		t.Fatalf("kernel let the client through (%q) although mail0 is in zone work", got)
	}
	code, out := check(t, fw, "--service", "imaps", "--proc-net", fw.ProcNet())
	expect(t, code, 2, out, "imaps (993/tcp) is closed in runtime zone work: clients cannot connect now; the permanent config has it (service imaps)",
		"Fix: firewall-cmd --reload", "interface mail0 is in runtime only")
}

// A zone file firewalld refuses: the running firewall is fine, but the next
// reload fails (firewall-cmd --check-config agrees) and the plugin warns.
func TestRefusedZoneFileWarnsBeforeTheReload(t *testing.T) {
	fw := startFirewalld(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	zone := filepath.Join(fw.ConfigDir, "zones", "public.xml")
	bad := `<?xml version="1.0" encoding="utf-8"?>
<zone><short>Public</short><service name="imaps"/><servce name="imap"/></zone>
`
	if err := os.WriteFile(zone, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := fw.Cmd("--check-config"); err == nil {
		t.Fatalf("firewall-cmd --check-config accepted the file: %s", out)
	}
	code, out := check(t, fw, "--service", "imaps")
	expect(t, code, 1, out, "the next reload fails; at the next restart firewalld falls back to its stock config: "+zone,
		"correct it, check with firewall-cmd --check-config")
}

// Rules firewalld 1.3 skips when it loads a zone (an address without a
// family: MISSING_FAMILY) and a log prefix holding quotes (printed
// unescaped at runtime) are no drift: both views are compared in
// firewalld's own form. firewalld 2.x refuses the whole file over the rule
// 1.3 skips: its reload fails (keeping the running rules), and the plugin
// warns that the next reload fails, naming the file and the reason. (A
// double quote in a prefix makes either release's reload fail with "No
// closing quotation", so the prefix here holds single quotes.)
func TestSkippedRulesAndQuotedPrefixAreNoDrift(t *testing.T) {
	fw := startFirewalld(t)
	path := filepath.Join(fw.ConfigDir, "zones", "public.xml")
	const skipped = `  <rule><source address="10.0.0.0/8"/><service name="imaps"/><reject/></rule>` + "\n"
	zone := `<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>Public</short>
  <service name="imaps"/>
%s  <rule family="ipv4"><service name="imaps"/><log prefix="it&apos;s a &apos;log&apos;" level="info"><limit value="3/minute"/></log><accept/></rule>
</zone>
`
	// the runtime first holds the zone without the rule 1.3 skips
	if err := os.WriteFile(path, []byte(fmt.Sprintf(zone, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCmd(t, fw, "--reload")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(zone, skipped)), 0o644); err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(mustOut(t, fw, "--version"))
	_, reloadErr := fw.Cmd("--reload")
	v2 := strings.HasPrefix(version, "2.")
	switch {
	case v2 && reloadErr == nil:
		t.Fatalf("firewalld %s reloaded a zone with a MISSING_FAMILY rule", version)
	case !v2 && reloadErr != nil:
		t.Fatalf("firewalld %s refused the reload: %v", version, reloadErr)
	}
	rules, err := fw.Cmd("--list-rich-rules")
	if err != nil || !strings.Contains(rules, `prefix="it's a 'log'"`) || strings.Contains(rules, "10.0.0.0/8") {
		t.Fatalf("firewalld's runtime rules are not what this test is about: %v\n%s", err, rules)
	}
	code, out := check(t, fw, "--service", "imaps", "-v")
	if v2 {
		expect(t, code, 1, out, "the next reload fails; at the next restart firewalld falls back to its stock config: "+path+": MISSING_FAMILY",
			"'drift'=0;", "firewalld "+version+" refuses the zone file over this rule (the next reload fails), so it is not judged: MISSING_FAMILY",
			"firewalld "+version+" (from D-Bus): the permanent config is judged by firewalld 2.x's rules")
		return
	}
	expect(t, code, 0, out, "runtime and permanent agree", "'drift'=0;",
		"firewalld skips this rule when it loads the zone, so it is not judged: MISSING_FAMILY",
		"firewalld "+version+" (from D-Bus): the permanent config is judged by firewalld 1.3's rules")
}

// mustOut is firewall-cmd's output, which must succeed.
func mustOut(t *testing.T, fw *sandbox.Firewalld, args ...string) string {
	t.Helper()
	out, err := fw.Cmd(args...)
	if err != nil {
		t.Fatalf("firewall-cmd %v: %v %s", args, err, out)
	}
	return out
}

// A zone present at runtime but gone from disk (its file deleted without a
// reload): open now, gone after the reload. Never OK.
func TestZoneAtRuntimeMissingOnDisk(t *testing.T) {
	fw := startFirewalld(t)
	mustCmd(t, fw, "--permanent", "--new-zone=mailz")
	mustCmd(t, fw, "--permanent", "--zone=mailz", "--add-service=imaps")
	// clients arrive on mailz0, bound to the zone: --zone names where they
	// should land, the binding sends them there
	mustCmd(t, fw, "--permanent", "--zone=mailz", "--add-interface=mailz0")
	mustCmd(t, fw, "--reload")
	if err := os.Remove(filepath.Join(fw.ConfigDir, "zones", "mailz.xml")); err != nil {
		t.Fatal(err)
	}
	code, out := check(t, fw, "--zone", "mailz", "--service", "imaps", "--interface", "mailz0")
	expect(t, code, 1, out, "imaps (993/tcp) is open in runtime only (service imaps): it disappears at the next firewall-cmd --reload",
		"zone mailz is in runtime only")
}
