// Package ruleset answers: would firewalld's nftables ruleset let a new
// mail connection through, in one view (runtime, or the permanent config
// as the next reload applies it)? It is pure judgement on plain data: no
// XML, no D-Bus, no files.
//
//   - model.go: a view (Ruleset): default zone, zones with their bindings,
//     services, ipsets, policies; the rich rule model (richrule.go).
//   - coverage.go: requirements (--service, --port) resolved to ports.
//   - dispatch.go: which zone catches a client (ingress-priority on 2.x,
//     sources before interfaces, the default zone); policy.go: the policies
//     on the way.
//   - chain.go, chain_index.go, match.go: a zone's filter chain in
//     firewalld's order, and whether one rule matches one client.
//   - judge.go, addrspace.go, ipset_index.go: one client per region of the
//     address space, so every source that could connect is judged.
//
// Package fwconfig builds the permanent view; the package above it
// (firewalld) builds the runtime view and turns verdicts into findings.
package ruleset
