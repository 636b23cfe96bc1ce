package fail2ban

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/mailhost-checks/mailchecks/internal/netdb"
	"github.com/mailhost-checks/mailchecks/internal/netfilter"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// maxJailPorts bounds the ports judged for one jail: a range is judged by
// representative ports (its ends and the stock mail ports inside it), not
// port by port, and a port list longer than this is cut (and said). Notes
// on entries not understood are bounded alike (maxPortNotes).
const maxJailPorts = 32

// maxPortNotes bounds the entries not understood that are named.
const maxPortNotes = 3

// maxPortActions bounds the actions whose port is asked per jail.
const maxPortActions = 8

// portReader is a source that can ask the server which ports each jail's
// actions ban on (both backends; a test's fake may not).
type portReader interface {
	JailPorts(ctx context.Context, states []JailState) error
}

// JailPorts asks, for every readable jail, `get JAIL actions` (the action
// names: transmitter.py __commandGet "actions"), then `get JAIL action ACT
// port` for each (getattr on the action: the jail's `port =` as its
// banaction was given it). An action without a port property (a mail
// action) is skipped; a jail none of whose actions told a port keeps
// BanPorts empty and PortsNote says why.
func (s *SocketSource) JailPorts(ctx context.Context, states []JailState) error {
	cmds, at := actionsCommands(states)
	if len(cmds) == 0 {
		return nil
	}
	c, err := s.session(ctx)
	if err != nil {
		return err
	}
	lists, err := c.do(ctx, cmds)
	if err != nil {
		return err
	}
	var q portQuestions
	for k, i := range at {
		names, err := actionNames(lists[k])
		if err != nil {
			states[i].PortsNote = err.Error()
			continue
		}
		q.add(states, i, names)
	}
	if len(q.cmds) > 0 {
		ports, err := c.do(ctx, q.cmds)
		if err != nil {
			return err
		}
		for k, i := range q.owner {
			if p, ok := ports[k].value.(string); ok && ports[k].err == nil && strings.TrimSpace(p) != "" {
				states[i].BanPorts = append(states[i].BanPorts, p)
			}
		}
	}
	notePortless(states, at)
	return nil
}

// actionsCommands asks `get JAIL actions` of every readable jail; at says
// which state each question is for.
func actionsCommands(states []JailState) (cmds [][]string, at []int) {
	for i, st := range states {
		if st.Err == nil {
			cmds = append(cmds, []string{"get", st.Name, "actions"})
			at = append(at, i)
		}
	}
	return cmds, at
}

// portQuestions are the `get JAIL action ACT port` questions, and the
// state each is for.
type portQuestions struct {
	cmds  [][]string
	owner []int
}

func (q *portQuestions) add(states []JailState, i int, actions []string) {
	if len(actions) > maxPortActions {
		actions = actions[:maxPortActions]
	}
	for _, a := range actions {
		q.cmds = append(q.cmds, []string{"get", states[i].Name, "action", a, "port"})
		q.owner = append(q.owner, i)
	}
}

// notePortless says why a jail asked has no ports (its actions have none).
func notePortless(states []JailState, at []int) {
	for _, i := range at {
		if len(states[i].BanPorts) == 0 && states[i].PortsNote == "" {
			states[i].PortsNote = "none of its actions has a port"
		}
	}
}

func actionNames(r reply) ([]string, error) {
	if r.err != nil {
		return nil, fmt.Errorf("`get JAIL actions` was refused: %v", r.err)
	}
	names, err := stringList(r.value)
	if err != nil {
		return nil, fmt.Errorf("`get JAIL actions`: %v", err)
	}
	return names, nil
}

// JailPortSet is what one jail's port values mean as TCP ports to judge.
type JailPortSet struct {
	Ports []uint16 // representative ports, at most maxJailPorts
	Note  string   // what was not understood or was cut ("" when none)
}

// ParseBanPorts reads fail2ban's port syntax as its banactions hand it to
// iptables (multiport --dports) and nft (dport { … }, ':' turned into '-'):
// comma-separated entries, each a number, a service name (resolved through
// /etc/services, tcp, as both tools do) or a range a:b / a-b (ends may be
// names). A range is judged by its ends and by the stock mail ports inside
// it: "0:65535" (jail.conf's default, "every port") becomes 1, 65535 and
// the mail ports.
func ParseBanPorts(values []string, lookup func(name string) (uint16, error)) JailPortSet {
	var out JailPortSet
	var notes []string
	cut := false
	add := func(p uint16) {
		switch {
		case slices.Contains(out.Ports, p):
		case len(out.Ports) == maxJailPorts:
			cut = true // bounded: a hostile list costs no more than this
		default:
			out.Ports = append(out.Ports, p)
		}
	}
	for _, v := range values {
		for _, entry := range strings.Split(v, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			lo, hi, err := portRange(entry, lookup)
			if err != nil {
				if len(notes) < maxPortNotes {
					notes = append(notes, err.Error())
				}
				continue
			}
			if lo == hi {
				add(lo)
				continue
			}
			add(max(lo, 1))
			for _, p := range DefaultKernelPorts {
				if p >= lo && p <= hi {
					add(p)
				}
			}
			add(hi)
		}
	}
	if cut {
		notes = append(notes, fmt.Sprintf("more than %d ports: the first %d judged", maxJailPorts, maxJailPorts))
	}
	out.Note = strings.Join(notes, "; ")
	return out
}

// portRange reads one entry: a port, a name, or a range of either. A name
// containing '-' (kerberos-adm) is tried whole before being split.
func portRange(entry string, lookup func(string) (uint16, error)) (uint16, uint16, error) {
	if p, err := onePort(entry, lookup); err == nil {
		return p, p, nil
	}
	for _, sep := range []string{":", "-"} {
		a, b, ok := strings.Cut(entry, sep)
		if !ok {
			continue
		}
		lo, err1 := onePort(a, lookup)
		hi, err2 := onePort(b, lookup)
		if err1 == nil && err2 == nil && lo <= hi {
			return lo, hi, nil
		}
	}
	return 0, 0, fmt.Errorf("port %q is neither a number, a service in /etc/services nor a range", entry)
}

func onePort(s string, lookup func(string) (uint16, error)) (uint16, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return uint16(n), nil
	}
	if s == "" || strings.ContainsAny(s, ":<>$ ") {
		return 0, fmt.Errorf("not a port: %q", s)
	}
	return lookup(s)
}

// maxServicesFile bounds the /etc/services read (Debian's is 13 KiB).
const maxServicesFile = 1 << 20

// resolveJailPorts reads each jail's port values as TCP ports. A name is
// resolved through the mail host's /etc/services (read once, only when a
// value names a service), as the banaction's iptables or nft resolves it
// there: over SSH, not through the monitoring host's file.
func resolveJailPorts(ctx context.Context, host remote.Host, jails []JailState) {
	services, notRead := netdb.Names{}, ""
	if namesAService(jails) {
		files, err := host.ReadFiles(ctx, []string{netdb.ServicesPath}, maxServicesFile)
		switch {
		case err != nil:
			notRead = err.Error()
		case len(files) != 1:
			notRead = fmt.Sprintf("%d files for one path", len(files))
		case files[0].Err != nil:
			notRead = files[0].Err.Error()
		default:
			services = netdb.Parse(files[0].Data, "tcp")
		}
	}
	for i := range jails {
		if jails[i].Err != nil || len(jails[i].BanPorts) == 0 {
			continue
		}
		jails[i].Ports = ParseBanPorts(jails[i].BanPorts, services.Port)
		if jails[i].Ports.Note != "" && notRead != "" {
			jails[i].Ports.Note += fmt.Sprintf(" (%s was not read: %s)", netdb.ServicesPath, notRead)
		}
	}
}

// namesAService: does a jail's port value hold a letter (a service name)?
func namesAService(jails []JailState) bool {
	for _, j := range jails {
		for _, v := range j.BanPorts {
			if strings.ContainsFunc(v, unicode.IsLetter) {
				return true
			}
		}
	}
	return false
}

// readJailPorts asks the jails' ports when the kernel's verdict will be
// asked per jail: not with --kernel=skip, not with --kernel-port given.
func readJailPorts(ctx context.Context, src Source, o Options, jails []JailState) error {
	if o.Kernel.Mode == "" || o.Kernel.Mode == netfilter.ModeSkip || len(o.Kernel.Ports) > 0 {
		return nil
	}
	pr, ok := src.(portReader)
	if !ok {
		for i := range jails {
			jails[i].PortsNote = "not asked through " + src.Name()
		}
		return nil
	}
	return pr.JailPorts(ctx, jails)
}
