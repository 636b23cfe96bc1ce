package ruleset

import (
	"fmt"
	"sort"
	"strings"
)

// verdict is what the ruleset does with a client's first packet.
type verdict int

const (
	vAccept verdict = iota + 1
	vReject
	vDrop
	vUnknown // depends on facts not held (why says which)
)

// outcome is the verdict and the entry that decided it.
type outcome struct {
	v    verdict
	how  string // "service imaps", "rich rule '…'", "zone target default (reject)"
	zone string
	note string // "rate-limited", "forwarded to local port 10993"
}

func (o outcome) refused() bool { return o.v == vReject || o.v == vDrop }

// entry is one rule of a zone's filter chain, in firewalld's order.
type entry struct {
	// how says what decided; for a rich rule, only what precedes the
	// rule's own text ("policy NAME: "), which describe appends: a chain
	// is built per requirement, and copying thousands of Fail2ban rules'
	// texts into each was most of the check's memory.
	how    string
	action string    // accept, reject, drop; "" never decides (log, mark)
	rule   *RichRule // nil for the zone's own services/ports/protocols
	// own is what a zone's own entry opens; nil for a rich rule
	// (matchRule judges it). A pointer keeps the entries of thousands of
	// rich rules small.
	own *ownEntry
}

// ownKind is what a zone's own entry (not a rich rule) opens.
type ownKind uint8

const (
	ownService    ownKind = iota + 1 // <service name=…/>
	ownPort                          // <port …/>
	ownProtocol                      // <protocol value=…/>
	ownSourcePort                    // <source-port …/>
	ownTarget                        // a policy's ACCEPT/REJECT/DROP target: every client
)

// ownEntry is a zone's own service, port, protocol or source port, or a
// policy's target.
type ownEntry struct {
	kind ownKind
	name string // the service or protocol
	port Port   // the port or source port
}

// test judges the entry for a client.
func (e *entry) test(rs *Ruleset, c client) (tri, string) {
	if e.own == nil {
		return matchRule(rs, e.rule, c)
	}
	switch e.own.kind {
	case ownService:
		return serviceOpens(rs, e.own.name, c)
	case ownPort:
		return boolTri(e.own.port.Covers(c.port)), ""
	case ownProtocol:
		return boolTri(ProtocolIs(e.own.name, c.port.Protocol)), ""
	case ownSourcePort:
		return matchSourcePort(e.own.port, c), "source port " + e.own.port.String() + " (clients pick their own source port)"
	}
	return yes, "" // ownTarget
}

// describe is how the entry is named in the output.
func (e *entry) describe() string {
	if e.own == nil {
		return e.how + "rich rule '" + e.rule.Text + "'"
	}
	return e.how
}

// filterChain lists a zone's INPUT rules in the order nftables.py builds
// them: build_policy_chain_rules jumps to _pre, _log, _deny, _allow, _post
// in that order and ends in the zone target; _rich_rule_chain_suffix puts
// a rich rule with priority < 0 in _pre, > 0 in _post, and at 0 reject and
// drop in _deny, accept in _allow (mark goes to the mangle table);
// _set_rule_replace_priority keeps _pre and _post sorted by priority, equal
// priorities in the order they were added. POLICIES_pre/post (policies)
// are not modelled.
func filterChain(z *Zone, names []string) []entry {
	var pre, deny, allow, post []entry
	for i := range z.RichRules {
		r := &z.RichRules[i]
		if r.Element == "forward-port" || r.Action == "" || r.Action == "mark" {
			continue
		}
		e := entry{action: r.Action, rule: r}
		switch {
		case r.Priority < 0:
			pre = append(pre, e)
		case r.Priority > 0:
			post = append(post, e)
		case r.Action == "accept":
			allow = append(allow, e)
		default:
			if deny == nil { // most rules are Fail2ban's bans: no regrowth
				deny = make([]entry, 0, len(z.RichRules))
			}
			deny = append(deny, e)
		}
	}
	byPriority := func(list []entry) {
		sort.SliceStable(list, func(i, j int) bool { return list[i].rule.Priority < list[j].rule.Priority })
	}
	byPriority(pre)
	byPriority(post)
	// The zone's own entries all accept in _allow, so their order there
	// does not change the verdict; services named by the requirement come
	// first so that no definition is fetched when one of them decides.
	var zoneAllow []entry
	services := append([]string(nil), z.Services...)
	sort.SliceStable(services, func(i, j int) bool { return hasString(names, services[i]) && !hasString(names, services[j]) })
	for _, s := range services {
		zoneAllow = append(zoneAllow, entry{how: "service " + s, action: "accept",
			own: &ownEntry{kind: ownService, name: s}})
	}
	for _, p := range z.Ports {
		zoneAllow = append(zoneAllow, entry{how: "port " + p.String(), action: "accept",
			own: &ownEntry{kind: ownPort, port: p}})
	}
	for _, proto := range z.Protocols {
		zoneAllow = append(zoneAllow, entry{how: "protocol " + proto, action: "accept",
			own: &ownEntry{kind: ownProtocol, name: proto}})
	}
	for _, p := range z.SourcePorts {
		zoneAllow = append(zoneAllow, entry{how: "source port " + p.String(), action: "accept",
			own: &ownEntry{kind: ownSourcePort, port: p}})
	}
	chain := make([]entry, 0, len(pre)+len(deny)+len(zoneAllow)+len(allow)+len(post))
	chain = append(append(chain, pre...), deny...)
	chain = append(append(chain, zoneAllow...), allow...)
	return append(chain, post...)
}

// targetOutcome is the zone's last rule (build_policy_chain_rules): default
// and %%REJECT%% reject, DROP drops, ACCEPT accepts.
func targetOutcome(z *Zone) outcome {
	switch z.Target {
	case "ACCEPT":
		return outcome{v: vAccept, how: "zone target ACCEPT", zone: z.Name}
	case "DROP":
		return outcome{v: vDrop, how: "zone target DROP", zone: z.Name}
	}
	return outcome{v: vReject, how: "zone target " + z.Target + " (reject)", zone: z.Name}
}

// walk runs the chain over the entries at cands (positions in chain
// order; every entry left out matches no such client). A rule whose match
// depends on unknown facts decides nothing only if both ways end alike.
func walk(rs *Ruleset, z *Zone, chain []entry, cands []int, c client) outcome {
	for k, i := range cands {
		e := &chain[i]
		m, why := e.test(rs, c)
		if m == no {
			continue
		}
		o := outcome{how: e.describe(), zone: z.Name}
		switch e.action {
		case "accept":
			o.v = vAccept
		case "reject":
			o.v = vReject
		case "drop":
			o.v = vDrop
		default:
			continue
		}
		if e.rule != nil && e.rule.Limit != "" {
			o.note = "rate-limited to " + e.rule.Limit
		}
		if m == yes {
			return o
		}
		rest := walk(rs, z, chain, cands[k+1:], c)
		if rest.v == o.v || (rest.refused() && o.refused()) {
			return rest
		}
		return outcome{v: vUnknown, how: "depends on " + why, zone: z.Name}
	}
	return targetOutcome(z)
}

// natForward finds the forward-port that rewrites the client's packet, if
// any: build_policy_forward_port_rules puts rich forward-ports in the nat
// chain by priority (as filterChain does) and zone forward-ports in
// nat _allow for IPv4 only (nfproto ipv4 unless to-addr is IPv6). rich
// are the zone's forward-port rich rules (indexedChain.forwards).
func natForward(rs *Ruleset, z *Zone, rich []*RichRule, c client) (*outcome, string) {
	type fwd struct {
		prio           int
		text           string
		toPort, toAddr string
		m              tri    // whether it forwards this client
		why            string // for maybe: why it cannot be told
	}
	var list []fwd
	for _, r := range rich {
		m, why := matchRule(rs, &RichRule{Family: r.Family, Source: r.Source, Destination: r.Destination}, c)
		if m != no && !r.Port.Covers(c.port) {
			m, why = no, ""
		}
		list = append(list, fwd{r.Priority, "rich rule '" + r.Text + "'", r.ToPort, r.ToAddr, m, why})
	}
	for _, f := range z.ForwardPorts {
		fam := IPv4
		if p, ok := ParsePrefix(f.ToAddr); ok && PrefixFamily(p) == IPv6 {
			fam = IPv6
		}
		m := boolTri(fam == c.family && f.Port.Covers(c.port))
		list = append(list, fwd{0, "forward-port " + f.String(), f.ToPort, f.ToAddr, m, ""})
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].prio < list[j].prio })
	for _, f := range list {
		m, why := f.m, f.why
		if m == no {
			continue
		}
		if m == maybe {
			return nil, why
		}
		// filter_INPUT and filter_FORWARD accept "ct status dnat" before any
		// zone chain (build_default_rules): the zone's deny rules never see
		// the rewritten packet.
		note := "forwarded to local port " + f.toPort
		if f.toAddr != "" {
			to := f.toAddr
			if f.toPort != "" {
				to += " port " + f.toPort
			}
			note = "forwarded to " + to + " (another host: needs IP forwarding)"
		}
		return &outcome{v: vAccept, how: f.text, zone: z.Name, note: note}, ""
	}
	return nil, ""
}

// zoneFor is filter_INPUT_ZONES (nftables.py): the bindings in the
// release's order (dispatch.go: 1.3 sources then interfaces, 2.x by
// ingress-priority first), then the default zone (its "*" rule is last).
// --zone (explicit) does not change where clients land; it stands in for
// the default zone only when the interface clients arrive on is not known.
func zoneFor(rs *Ruleset, explicit string, c client) (string, tri, string) {
	for _, b := range dispatchBindings(rs) {
		n, s := b.zone, b.source
		if s == "" {
			if c.iface != "" && ifaceMatches(b.iface, c.iface) {
				return n, yes, ""
			}
			continue
		}
		var m tri
		var why string
		switch {
		case strings.HasPrefix(s, "ipset:"):
			m, why = matchIPSet(rs, strings.TrimPrefix(s, "ipset:"), c)
		default:
			p, ok := ParsePrefix(s)
			if !ok {
				m, why = maybe, "source binding "+s+" of zone "+n+" (a MAC: which clients carry it is not known)"
			} else {
				m = boolTri(PrefixFamily(p) == c.family && p.Contains(c.src))
			}
		}
		if m != no {
			return n, m, why
		}
	}
	if c.iface == "" && explicit != "" {
		return explicit, yes, ""
	}
	return rs.DefaultZone, yes, ""
}

// judgeClient is the whole path of one client's SYN: zone dispatch, the nat
// pass (forward-port), then the zone's filter chain.
func judgeClient(rs *Ruleset, explicit string, c client) outcome {
	name, m, why := zoneFor(rs, explicit, c)
	if m == maybe {
		return outcome{v: vUnknown, how: "depends on " + why}
	}
	z, ok := rs.Zones[name]
	if !ok {
		return outcome{v: vReject, how: fmt.Sprintf("zone %s does not exist", name), zone: name}
	}
	ch := rs.chain(z, c.names)
	if o, why := natForward(rs, z, ch.forwards, c); o != nil {
		return *o
	} else if why != "" {
		return outcome{v: vUnknown, how: "depends on " + why, zone: name}
	}
	return walk(rs, z, ch.entries, ch.candidates(c), c)
}

// fullChain is what a client of the zone passes on INPUT: POLICIES_pre,
// the zone's own rules, POLICIES_post; walk ends it with the zone target.
func fullChain(rs *Ruleset, z *Zone, names []string) []entry {
	pre, post := policyChains(rs, z.Name, names)
	if len(pre) == 0 && len(post) == 0 {
		return filterChain(z, names)
	}
	ch := append(pre, filterChain(z, names)...)
	return append(ch, post...)
}

// chain is fullChain, built once per zone and requirement, with the
// zone's source index (chain_index.go): a busy host carries thousands of
// Fail2ban bans.
func (rs *Ruleset) chain(z *Zone, names []string) *indexedChain {
	key := z.Name + "\x00" + strings.Join(names, ",")
	if ch, ok := rs.chains[key]; ok {
		return ch
	}
	if rs.chains == nil {
		rs.chains = map[string]*indexedChain{}
	}
	ch := rs.indexChain(z, fullChain(rs, z, names))
	rs.chains[key] = ch
	return ch
}
