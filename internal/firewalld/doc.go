// Package firewalld answers: do mail clients get through firewalld now, and
// will they after the next `firewall-cmd --reload`?
//
// Gather (gather.go): every config file of both trees and the kernel's
// route and address tables in one Host.ReadFiles round trip (permanent.go,
// xml.go, hostnet.go); the runtime view from firewalld over D-Bus (dbus.go,
// local only) or firewall-cmd (cli.go). Each view is a Ruleset (model.go):
// default zone, zones with bindings, services, ipsets.
//
// Validate (validate*.go, pure): will the next reload succeed? The files
// are judged as the host's firewalld release reads them (version.go: the
// D-Bus property version or firewall-cmd --version): 1.3 logs and skips a
// bad rich rule, 2.x refuses the whole file; an unknown version is judged
// by both, and a file only one refuses is UNKNOWN, never OK.
//
// Evaluate (evaluate.go, pure): each requirement is judged per view and per
// address family as firewalld's nftables ruleset decides it: zone dispatch,
// the nat pass and the zone's filter chain in firewalld's order (chain.go,
// match.go), one client per region of the address space (judge.go,
// addrspace.go); verdict.go and evaluate.go turn that into findings with
// the exact firewall-cmd fix; drift.go diffs the zones clients land in.
package firewalld
