// Package firewalld answers: do mail clients get through firewalld now, and
// will they after the next `firewall-cmd --reload`?
//
// Gather (gather.go): every config file of both trees and the kernel's
// route and address tables in one Host.ReadFiles round trip (hostnet.go);
// the runtime view from firewalld over D-Bus (dbus.go, local only) or
// firewall-cmd (cli.go); NetworkManager's bindings (nm.go). Each view is a
// ruleset.Ruleset (package ruleset): default zone, zones with bindings,
// services, ipsets, policies.
//
// Validate (package fwconfig, pure; XML through package expat): the one
// reader of the permanent tree. Will the next reload succeed, and what
// will it load? The files are judged as the host's firewalld release reads
// them (the D-Bus property version or firewall-cmd --version, read in
// version_read.go): 1.3 logs and skips a bad rich rule, 2.x refuses the
// whole file; an unknown version is judged by both, and a file only one
// refuses is UNKNOWN, never OK. What it kept is the permanent view.
//
// Evaluate (evaluate.go, pure): each requirement is judged per view and per
// address family as firewalld's nftables ruleset decides it (package
// ruleset: zone dispatch, the zone's filter chain in firewalld's order,
// one client per region of the address space); verdict.go and evaluate.go
// turn that into findings with the exact firewall-cmd fix; drift.go diffs
// the zones clients land in; kernel.go holds them to the live ruleset.
package firewalld
