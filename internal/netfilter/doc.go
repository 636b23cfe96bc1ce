// Package netfilter reads the live kernel ruleset (nftables through
// `nft -j list ruleset`, legacy x_tables through `iptables-legacy-save`) and
// judges one question for both firewall checks: would a new inbound TCP
// connection of a family, from a source, arriving on an interface, to a port,
// be accepted by the kernel?
//
// Gather (read.go) returns a Ruleset, plain data; Judge (judge.go) is pure.
// The judge walks every base chain on the inbound path (netdev/inet ingress,
// prerouting, input) of every table that applies, in the kernel's order:
// a drop or reject in any base chain ends the packet, an accept ends only its
// own base chain. What it cannot interpret and that could change the outcome
// makes the verdict "cannot tell because of rule R", never "accepted".
package netfilter
