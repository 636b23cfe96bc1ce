package netfilter

import (
	"fmt"
	"net/netip"
)

// Ruleset is the kernel's ruleset as read: every table of every family,
// nftables' and legacy x_tables' alike (legacy rules are translated into
// the same expression vocabulary, libnftables-json(5)).
type Ruleset struct {
	Tables []*Table
	// LegacyNotRead says why legacy x_tables that are loaded were not read
	// ("" when they were read or none are loaded).
	LegacyNotRead string
	// NftVersion is what `nft -j` reported in its metainfo.
	NftVersion string
}

// Table is one table with its chains and named sets/maps.
type Table struct {
	Family string // inet, ip, ip6, netdev, arp, bridge
	Name   string
	// Origin is "nftables" or "iptables-legacy".
	Origin string
	Chains map[string]*Chain
	Sets   map[string]*Set
}

// Chain is a chain; Hook is "" for a regular (non-base) chain.
type Chain struct {
	Name     string
	Hook     string // ingress, prerouting, input, forward, output, postrouting
	Type     string // filter, nat, route
	Priority int
	Policy   string // accept or drop (base chains)
	Devices  []string
	Rules    []Rule
}

// Rule is one rule: its expressions as libnftables-json(5) objects decoded
// into plain values (map[string]any, []any, string, float64, nil).
type Rule struct {
	Handle int
	Exprs  []any
	// Text is the rule as an admin would recognise it: nft syntax rendered
	// from the expressions, or the iptables-save line for legacy rules.
	Text string
}

// Set is a named set or map. Elements are decoded JSON values: a scalar, a
// {"prefix":…}, a {"range":…}, a {"concat":…}; for maps, Data holds the
// value of each element at the same index.
type Set struct {
	Name     string
	Type     any
	Map      any // the map's value type; nil for a set
	Elements []any
	Data     []any
}

// Query is the packet asked about: the first packet (TCP SYN, conntrack
// state new) of an inbound connection to the host itself.
type Query struct {
	IPv6 bool
	// Source is one address (a /32 or /128) or a prefix standing for "any
	// address in it" (0.0.0.0/0: any address of the family).
	Source netip.Prefix
	// Iface is the arrival interface; "" when not known (then a match on
	// it is undecided, except that a client never arrives on lo).
	Iface string
	Port  uint16 // TCP destination port
	// Dest is the host's address the client connects to; the zero Addr
	// means unknown (a rule on the destination address is then "cannot tell"
	// where its outcome matters).
	Dest netip.Addr
}

func (q Query) String() string {
	fam := "IPv4"
	if q.IPv6 {
		fam = "IPv6"
	}
	return fmt.Sprintf("%s %s → %d/tcp on %s", fam, q.Source, q.Port, q.Iface)
}

// Outcome is the kind of a Verdict.
type Outcome int

const (
	Accepted Outcome = iota
	Refused
	RefusedSome // refused for some of the sources asked about
	CannotTell
)

func (o Outcome) String() string {
	return [...]string{"accepted", "refused", "refused for some sources", "cannot tell"}[o]
}

// RuleRef names a rule (or a base chain's policy) for output and fixes.
type RuleRef struct {
	Origin string // nftables, iptables-legacy
	Family string
	Table  string
	Chain  string
	Handle int  // 0 for a policy
	Policy bool // the base chain's policy, not a rule
	Text   string
}

func (r RuleRef) String() string {
	if r.Policy {
		return fmt.Sprintf("policy %s of chain %s in table %s %s (%s)", r.Text, r.Chain, r.Family, r.Table, r.Origin)
	}
	return fmt.Sprintf("rule '%s' in chain %s of table %s %s (%s)", r.Text, r.Chain, r.Family, r.Table, r.Origin)
}

// Verdict is the kernel's answer for a Query.
type Verdict struct {
	Outcome Outcome
	// Rule is the refusing rule (Refused: the one for the first source
	// refused) or the rule the judge could not interpret (CannotTell).
	Rule RuleRef
	// Why says, for CannotTell, what was not understood.
	Why string
	// RefusedFor lists, for RefusedSome, the refused source ranges (capped,
	// see RefusedMore) and RefusedRules the distinct rules refusing them.
	RefusedFor   []netip.Prefix
	RefusedMore  int
	RefusedRules []RuleRef
	// RateLimited names a limit rule the packet's acceptance depends on.
	RateLimited *RuleRef
	// LegacyNotRead is copied from the Ruleset: the verdict holds only for
	// what was read.
	LegacyNotRead string
}
