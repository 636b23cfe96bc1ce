package netfilter

import (
	"bufio"
	"bytes"
	"context"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// fillIngressDevices gives ingress chains their devices when nft's JSON
// left them out (nft 1.0.6, Debian 12, prints no "dev" for a chain): the
// text listing (`nft list ruleset`, also allowed read-only by the sudo
// rule) names them. Only run when such a chain exists; when it cannot be
// read the chains stay device-less and a refusal in them "cannot tell".
func fillIngressDevices(ctx context.Context, host remote.Host, opt ReadOptions, rs *Ruleset) {
	if !hasDevicelessIngress(rs) {
		return
	}
	out, err := host.Run(ctx, append(append([]string(nil), opt.Prefix...), NftPath, "list", "ruleset"))
	if err != nil || out.ExitCode != 0 {
		return
	}
	devices := ParseIngressDevices(out.Stdout)
	for _, t := range rs.Tables {
		if t.Origin != "nftables" {
			continue
		}
		for _, c := range t.Chains {
			if c.Hook == "ingress" && len(c.Devices) == 0 {
				c.Devices = devices[t.Family+" "+t.Name+" "+c.Name]
			}
		}
	}
}

func hasDevicelessIngress(rs *Ruleset) bool {
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			if c.Hook == "ingress" && len(c.Devices) == 0 && t.Origin == "nftables" {
				return true
			}
		}
	}
	return false
}

// ParseIngressDevices reads nft's text listing for the devices of ingress
// chains: "type filter hook ingress device "eth0" priority …" or "devices
// = { eth0, eth1 }", keyed "FAMILY TABLE CHAIN".
func ParseIngressDevices(text []byte) map[string][]string {
	out := map[string][]string{}
	var table, chain string
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "table" && f[3] == "{":
			table, chain = f[1]+" "+f[2], ""
		case len(f) == 3 && f[0] == "chain" && f[2] == "{":
			chain = f[1]
		case chain != "" && strings.HasPrefix(line, "type ") && strings.Contains(line, " hook ingress "):
			if devs := devicesOf(line); len(devs) > 0 {
				out[table+" "+chain] = devs
			}
		}
	}
	return out
}

// devicesOf reads `device "eth0"` or `devices = { eth0, "eth1" }`.
func devicesOf(line string) []string {
	if _, rest, ok := strings.Cut(line, " devices = {"); ok {
		list, _, _ := strings.Cut(rest, "}")
		var out []string
		for _, d := range strings.Split(list, ",") {
			if d = strings.Trim(strings.TrimSpace(d), `"`); d != "" {
				out = append(out, d)
			}
		}
		return out
	}
	if _, rest, ok := strings.Cut(line, " device "); ok {
		f := strings.Fields(rest)
		if len(f) > 0 {
			return []string{strings.Trim(f[0], `"`)}
		}
	}
	return nil
}
