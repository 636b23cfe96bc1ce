package firewalld

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/netfilter"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// maxDirectXML bounds the read of direct.xml (it holds iptables lines).
const maxDirectXML = 4 << 20

// directConfig is firewalld's permanent direct configuration (direct.xml):
// the rules and passthroughs firewalld applies at every start and reload.
type directConfig struct {
	path  string
	rules []netfilter.DirectRule
	err   error // unreadable or not understood: the after-reload verdict is not given
}

// runtimeDirect says whether firewalld holds direct rules, chains or
// passthroughs at runtime: firewalld 2.x flushes iptables' tables at a
// reload only then (fw.py may_skip_flush_direct_backends).
type runtimeDirect struct {
	asked bool
	any   bool
	err   error
}

// readDirectXML reads <ConfigDir>/direct.xml; no file is no direct rule.
func readDirectXML(ctx context.Context, host remote.Host, configDir string) directConfig {
	if configDir == "" {
		configDir = "/etc/firewalld"
	}
	d := directConfig{path: filepath.Join(configDir, "direct.xml")}
	files, err := host.ReadFiles(ctx, []string{d.path}, maxDirectXML)
	switch {
	case err != nil:
		d.err = err
	case len(files) != 1:
		d.err = fmt.Errorf("%s: not read", d.path)
	case errors.Is(files[0].Err, fs.ErrNotExist):
	case files[0].Err != nil:
		d.err = files[0].Err
	default:
		d.rules, d.err = parseDirectXML(files[0].Data)
		if d.err != nil {
			d.err = fmt.Errorf("%s: %w", d.path, d.err)
		}
	}
	return d
}

// parseDirectXML reads firewalld's direct.xml (io/direct.py): <rule ipv
// table chain priority>ARGS</rule> and <passthrough ipv>ARGS</passthrough>;
// <chain> only declares a chain a rule fills. encoding/xml expands no
// entity a DTD declares, so the file cannot amplify itself.
func parseDirectXML(data []byte) ([]netfilter.DirectRule, error) {
	var doc struct {
		XMLName xml.Name `xml:"direct"`
		Rules   []struct {
			IPv      string `xml:"ipv,attr"`
			Table    string `xml:"table,attr"`
			Chain    string `xml:"chain,attr"`
			Priority string `xml:"priority,attr"`
			Args     string `xml:",chardata"`
		} `xml:"rule"`
		Passthroughs []struct {
			IPv  string `xml:"ipv,attr"`
			Args string `xml:",chardata"`
		} `xml:"passthrough"`
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var out []netfilter.DirectRule
	for _, r := range doc.Rules {
		prio, err := strconv.Atoi(strings.TrimSpace(r.Priority))
		if err != nil {
			return nil, fmt.Errorf("rule %q: priority %q is not a number", strings.TrimSpace(r.Args), r.Priority)
		}
		out = append(out, netfilter.DirectRule{IPv: r.IPv, Table: r.Table, Chain: r.Chain, Priority: prio, Args: strings.TrimSpace(r.Args)})
	}
	for _, p := range doc.Passthroughs {
		out = append(out, netfilter.DirectRule{IPv: p.IPv, Args: strings.TrimSpace(p.Args), Passthrough: true})
	}
	return out, nil
}

// askRuntimeDirect asks firewall-cmd whether firewalld holds any direct
// rule, chain or passthrough at runtime (three short calls; only asked
// when the kernel holds rules in iptables' tables, see gatherKernel).
func askRuntimeDirect(ctx context.Context, host remote.Host, firewallCmd string) runtimeDirect {
	if firewallCmd == "" {
		firewallCmd = "/usr/bin/firewall-cmd"
	}
	rd := runtimeDirect{asked: true}
	for _, what := range []string{"--get-all-rules", "--get-all-chains", "--get-all-passthroughs"} {
		out, err := runFirewallCmd(ctx, host, firewallCmd, "--direct", what)
		if err != nil {
			rd.err = err
			return rd
		}
		if strings.TrimSpace(out) != "" {
			rd.any = true
			return rd
		}
	}
	return rd
}

// hasIptablesRules: the kernel holds a rule in one of iptables' tables.
func hasIptablesRules(rs *netfilter.Ruleset) bool {
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			if len(c.Rules) > 0 && (netfilter.RuleRef{Origin: t.Origin, Family: t.Family, Table: t.Name}).InIptablesTable() {
				return true
			}
		}
	}
	return false
}

// directFix removes a permanent direct rule or passthrough, given as
// DirectRule.String() words it ("ipv4 filter INPUT 0 ARGS", "ipv4 ARGS").
func directFix(text string) string {
	ipv, rest, _ := strings.Cut(text, " ")
	if strings.HasPrefix(rest, "-") {
		return fmt.Sprintf("firewall-cmd --permanent --direct --remove-passthrough %s %s && firewall-cmd --reload", ipv, rest)
	}
	return fmt.Sprintf("firewall-cmd --permanent --direct --remove-rule %s && firewall-cmd --reload", text)
}
