package netfilter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// NftPath is the nft binary the sudo rule (contrib/sudoers.d/mailchecks)
// allows with exactly the arguments below.
const NftPath = "/usr/sbin/nft"

// Legacy x_tables dumpers, also allowed read-only by the sudo rule.
const (
	IptablesLegacySave  = "/usr/sbin/iptables-legacy-save"
	Ip6tablesLegacySave = "/usr/sbin/ip6tables-legacy-save"
)

// ReadOptions says how to reach the kernel's ruleset.
type ReadOptions struct {
	// Prefix goes before each command: {"sudo", "-n"} for the sudo rule; in
	// tests {"nsenter", "--net=/proc/PID/ns/net"}.
	Prefix []string
	// ProcNet is the /proc/net to look for loaded legacy tables in
	// (default /proc/net).
	ProcNet string
}

// ErrNotPermitted is returned when nft was refused for lack of privilege.
var ErrNotPermitted = errors.New("not permitted")

// Read reads the live ruleset: `nft -j list ruleset`, then the legacy
// x_tables of each family whose tables are loaded. A legacy dump that
// cannot be made is no error: Ruleset.LegacyNotRead says why.
func Read(ctx context.Context, host remote.Host, opt ReadOptions) (*Ruleset, error) {
	argv := append(append([]string(nil), opt.Prefix...), NftPath, "-j", "list", "ruleset")
	out, err := host.Run(ctx, argv)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", strings.Join(argv, " "), err)
	}
	if out.ExitCode != 0 {
		msg := firstLine(out.Stderr)
		if bytes.Contains(out.Stderr, []byte("Operation not permitted")) || bytes.Contains(out.Stderr, []byte("a password is required")) {
			return nil, fmt.Errorf("%s: %w (%s)", strings.Join(argv, " "), ErrNotPermitted, msg)
		}
		return nil, fmt.Errorf("%s: exit %d: %s", strings.Join(argv, " "), out.ExitCode, msg)
	}
	rs, err := ParseNftJSON(out.Stdout)
	if err != nil {
		return nil, err
	}
	readXtTables(ctx, host, opt, rs)
	rs.LegacyNotRead = readLegacy(ctx, host, opt, rs)
	attachIPSets(ctx, host, opt, rs)
	fillIngressDevices(ctx, host, opt, rs)
	return rs, nil
}

// readLegacy adds the legacy tables of both families to rs and says what
// could not be read ("" when all that is loaded was read).
func readLegacy(ctx context.Context, host remote.Host, opt ReadOptions, rs *Ruleset) string {
	procNet := opt.ProcNet
	if procNet == "" {
		procNet = "/proc/net"
	}
	files, err := host.ReadFiles(ctx, []string{procNet + "/ip_tables_names", procNet + "/ip6_tables_names"}, 4096)
	if err != nil {
		return "whether legacy iptables tables are loaded: " + err.Error()
	}
	var missing []string
	for i, f := range files {
		if f.Err != nil || len(bytes.TrimSpace(f.Data)) == 0 {
			continue // module not loaded, or no table: nothing to read
		}
		tool, family := IptablesLegacySave, "ip"
		if i == 1 {
			tool, family = Ip6tablesLegacySave, "ip6"
		}
		argv := append(append([]string(nil), opt.Prefix...), tool)
		out, err := host.Run(ctx, argv)
		switch {
		case err != nil:
			missing = append(missing, fmt.Sprintf("%s: %v", tool, err))
		case out.ExitCode != 0:
			missing = append(missing, fmt.Sprintf("%s: exit %d: %s", tool, out.ExitCode, firstLine(out.Stderr)))
		default:
			tables, err := ParseIptablesSave(out.Stdout, family)
			if err != nil {
				missing = append(missing, err.Error())
				continue
			}
			rs.Tables = append(rs.Tables, tables...)
		}
	}
	if len(missing) > 0 {
		return "legacy iptables tables are loaded but were not read (" + strings.Join(missing, "; ") + ")"
	}
	return ""
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
