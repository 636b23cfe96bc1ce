package ruleset

import (
	"sort"
	"strings"
)

// binding is one zone dispatch rule of filter_INPUT_ZONES: a zone's
// source or interface.
type binding struct {
	zone     string
	source   string // "" for an interface binding
	iface    string
	priority int // the zone's ingress-priority (2.x)
}

// dispatchBindings lists every source and interface binding in the order
// firewalld's zone dispatch tries them; the default zone's catch-all comes
// after all of them in both releases.
//
// firewalld 1.3 (nftables.py, _run_replace_zone_source): sources first,
// ordered by zone name, then interfaces.
//
// firewalld 2.x (nftables.py _policy_dispatch_sort_key, for the policy
// each zone derives towards HOST): by the key (ingress_priority,
// ingress_sort_order, ingress_zone, ingress_source, ingress_interface),
// where the sort order is 1 for a source and 2 for an interface: a zone
// with a lower ingress-priority catches its interface's clients before a
// zone of a higher one catches them by source.
func dispatchBindings(rs *Ruleset) []binding {
	names := make([]string, 0, len(rs.Zones))
	for n := range rs.Zones {
		names = append(names, n)
	}
	sort.Strings(names)
	var all []binding
	for _, n := range names {
		z := rs.Zones[n]
		for _, s := range z.Sources {
			all = append(all, binding{zone: n, source: s, priority: z.IngressPriority})
		}
	}
	for _, n := range names {
		z := rs.Zones[n]
		for _, i := range z.Interfaces {
			all = append(all, binding{zone: n, iface: i, priority: z.IngressPriority})
		}
	}
	if !rs.ByIngressPriority {
		return all
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.priority != b.priority {
			return a.priority < b.priority
		}
		if (a.source == "") != (b.source == "") {
			return a.source != "" // sources (1) before interfaces (2)
		}
		if a.zone != b.zone {
			return a.zone < b.zone
		}
		if a.source != b.source {
			return a.source < b.source
		}
		return a.iface < b.iface
	})
	return all
}

// ifaceMatches is nft's iifname match: "eth+" (firewalld) is "eth*".
func ifaceMatches(bound, iface string) bool {
	return bound == iface || (strings.HasSuffix(bound, "+") && strings.HasPrefix(iface, strings.TrimSuffix(bound, "+")))
}
