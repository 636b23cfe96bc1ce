package ruleset

import (
	"net/netip"
	"strings"
	"testing"
)

// naiveHolds is the entry-by-entry lookup the index replaces.
func naiveHolds(entries []string, a netip.Addr) bool {
	for _, e := range entries {
		if lo, hi, isRange := strings.Cut(e, "-"); isRange {
			l, err1 := netip.ParseAddr(lo)
			h, err2 := netip.ParseAddr(hi)
			if err1 == nil && err2 == nil && !a.Less(l) && !h.Less(a) {
				return true
			}
			continue
		}
		if p, ok := ParsePrefix(e); ok && p.Contains(a) {
			return true
		}
	}
	return false
}

// TestIPSetIndexAgreesWithEntryScan: every kind of entry (address, CIDR
// with bits or a mask, host bits set, a mapped address, a range, garbage,
// the other family) is found by the index exactly when a scan finds it.
func TestIPSetIndexAgreesWithEntryScan(t *testing.T) {
	entries := []string{"192.0.2.7", "198.51.100.0/24", "203.0.113.77/255.255.255.192", "10.1.2.3/8",
		"::ffff:192.0.2.200", "192.0.2.100-192.0.2.110", "2001:db8::/32", "2001:db8:1::5-2001:db8:1::9",
		"not-an-address", "192.0.2.300", "fe80::1%eth0"}
	probes := []string{"192.0.2.7", "192.0.2.8", "198.51.100.255", "198.51.101.0", "203.0.113.64", "203.0.113.128",
		"10.200.0.1", "11.0.0.0", "192.0.2.200", "192.0.2.100", "192.0.2.110", "192.0.2.111", "2001:db8:ffff::1",
		"2001:db9::", "2001:db8:1::5", "0.0.0.0", "::"}
	set := &IPSet{Name: "s", Type: "hash:net", Entries: entries}
	for _, text := range probes {
		a := netip.MustParseAddr(text)
		if got, want := set.entryIndex().holds(a), naiveHolds(entries, a); got != want {
			t.Errorf("%s: index says %v, a scan %v", a, got, want)
		}
	}
}
