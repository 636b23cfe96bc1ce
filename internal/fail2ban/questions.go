package fail2ban

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// perJail is how many questions jailCommands asks about each jail.
const perJail = 5

// jailCommands are the per-jail questions, in the order both backends read
// the answers. None of them costs more with more bans worth speaking of:
//
//   - `get JAIL banned IP…` (transmitter.py __commandGet "banned" ->
//     Server.banned -> Actions.getBanned) answers 1/0 for one address, a
//     list of 1/0 for several: a membership test in the server, a few bytes
//     on the wire, where `get JAIL banip --with-time` formats, sorts and
//     pickles every ban (20,000 bans: ~1 MB and ~100 ms of Python).
//   - `status JAIL short` (Actions.status flavor "short") gives the ban
//     count without the list that the basic flavour appends.
func jailCommands(jail string, ips []netip.Addr) [][]string {
	banned := []string{"get", jail, "banned"}
	for _, ip := range ips {
		banned = append(banned, ip.String())
	}
	return [][]string{
		banned,
		{"get", jail, "ignoreip"},
		{"get", jail, "ignoreself"},
		{"get", jail, "ignorecommand"},
		{"status", jail, "short"},
	}
}

// banListCommand is asked only of a jail that bans a target: its list is
// where the server says when each ban ends (BanManager.getBanList with
// withTime), which `banned` does not.
func banListCommand(jail string) []string { return []string{"get", jail, "banip", "--with-time"} }

// bannedFlags reads the answer to `get JAIL banned IP…`: an int for one
// address (Actions.getBanned: `1 if ids[0] in lst else 0`), a list of ints
// for several.
func bannedFlags(v any, n int) ([]bool, error) {
	flag := func(x any) (bool, error) {
		switch b := x.(type) {
		case int64:
			return b != 0, nil
		case bool:
			return b, nil
		}
		return false, fmt.Errorf("%w: %s", errNotAReply, describe(x))
	}
	if n == 1 {
		b, err := flag(v)
		return []bool{b}, err
	}
	items, ok := v.([]any)
	if !ok || len(items) != n {
		return nil, fmt.Errorf("%w: %s for %d addresses", errNotAReply, describe(v), n)
	}
	out := make([]bool, n)
	for i, it := range items {
		b, err := flag(it)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// currentlyBanned finds ("Currently banned", N) in the nested pairs of
// `status JAIL short`: [("Filter", [...]), ("Actions", [("Currently banned", N), ...])].
func currentlyBanned(v any) (int, error) {
	items, ok := v.([]any)
	if !ok {
		return 0, fmt.Errorf("%w: %s", errNotAReply, describe(v))
	}
	for _, it := range items {
		pair, ok := it.([]any)
		if !ok || len(pair) != 2 {
			continue
		}
		if k, _ := pair[0].(string); k == "Currently banned" {
			if n, ok := pair[1].(int64); ok && n >= 0 {
				return int(n), nil
			}
			return 0, fmt.Errorf("%w: ban count is %s", errNotAReply, describe(pair[1]))
		}
		if n, err := currentlyBanned(pair[1]); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%w: no \"Currently banned\" in the jail's status", errNotAReply)
}

// jailsWithoutEnds lists the readable jails that ban a target whose end is
// not known (no database record said it).
func jailsWithoutEnds(states []JailState) []int {
	var at []int
	for i, st := range states {
		if st.Err != nil {
			continue
		}
		for _, b := range st.Bans {
			if b.End.IsZero() && !b.Permanent {
				at = append(at, i)
				break
			}
		}
	}
	return at
}

// withEndTimes copies each ban's end time from its line in the jail's ban
// list. Only the lines of the bans asked about are parsed: a list may hold
// 100,000 bans (parsing them all cost 80 MiB of allocations at 200,000
// lines), and the check asks about a few addresses. A ban the list no
// longer holds (unbanned meanwhile) keeps no end time rather than being
// dropped: the server said it was banned when asked.
func withEndTimes(bans []Ban, lines []string, loc *time.Location) []Ban {
	out := slices.Clone(bans)
	for _, line := range lines {
		id := banLineID(line)
		addr, _ := netip.ParseAddr(id)
		for i, b := range out {
			if b.End.IsZero() && !b.Permanent && (id == b.ID || addr.IsValid() && addr.Unmap() == b.Addr) {
				listed, _ := parseBan(line, loc) // an unreadable time leaves the end unknown
				out[i].End, out[i].Permanent = listed.End, listed.Permanent
			}
		}
	}
	return out
}

// parseShortStatus reads the ban count from fail2ban-client's print of
// `status JAIL short` (beautifier.py): "   |- Currently banned:\t3".
func parseShortStatus(out string) (int, error) {
	for _, l := range strings.Split(out, "\n") {
		if _, n, ok := strings.Cut(l, "Currently banned:"); ok {
			var count int
			if _, err := fmt.Sscanf(strings.TrimSpace(n), "%d", &count); err == nil && count >= 0 {
				return count, nil
			}
		}
	}
	return 0, fmt.Errorf("no \"Currently banned:\" line in %q", firstLine(out))
}

// parseBannedPrint reads fail2ban-client's print of `get JAIL banned IP…`:
// "1" for one address, "[1, 0]" for several.
func parseBannedPrint(out string, n int) ([]bool, error) {
	s := strings.TrimSpace(out)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("%d answers for %d addresses in %q", len(parts), n, firstLine(out))
	}
	flags := make([]bool, n)
	for i, p := range parts {
		switch strings.TrimSpace(p) {
		case "1", "True":
			flags[i] = true
		case "0", "False":
		default:
			return nil, fmt.Errorf("unexpected answer %q", firstLine(out))
		}
	}
	return flags, nil
}
