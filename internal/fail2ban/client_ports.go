package fail2ban

import (
	"context"
	"strings"
)

// JailPorts asks, as the socket backend does, `get JAIL actions` and then
// `get JAIL action ACT port`, in two fail2ban-client sessions (the
// read-only wrapper of contrib/sudoers.d allows exactly these two lines).
// Answers are beautified (client/beautifier.py): "The jail J has the
// following actions:\nA, B" and the port value as is; an action without a
// port prints the server's error in its place ("'CommandAction' object has
// no attribute 'port'"), which isPortPrint tells apart.
func (c *ClientSource) JailPorts(ctx context.Context, states []JailState) error {
	cmds, at := actionsCommands(states)
	if len(cmds) == 0 {
		return nil
	}
	lists, err := c.session(ctx, cmds)
	if err != nil {
		return portsNotRead(ctx, states, at, err)
	}
	var q portQuestions
	for k, i := range at {
		names, ok := parseActionsPrint(lists[k], states[i].Name)
		if !ok {
			states[i].PortsNote = "unexpected answer to `get JAIL actions`: " + firstLine(lists[k])
			continue
		}
		q.add(states, i, names)
	}
	if len(q.cmds) > 0 {
		ports, err := c.session(ctx, q.cmds)
		if err != nil {
			return portsNotRead(ctx, states, at, err)
		}
		for k, i := range q.owner {
			if p := strings.TrimSpace(ports[k]); isPortPrint(p) {
				states[i].BanPorts = append(states[i].BanPorts, p)
			}
		}
	}
	notePortless(states, at)
	return nil
}

// parseActionsPrint reads the print of `get JAIL actions`.
func parseActionsPrint(out, jail string) ([]string, bool) {
	out = strings.TrimSpace(out)
	if out == "No actions for jail "+jail {
		return nil, true
	}
	rest, ok := strings.CutPrefix(out, "The jail "+jail+" has the following actions:")
	if !ok {
		return nil, false
	}
	var names []string
	for _, n := range strings.Split(strings.TrimSpace(rest), ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names, true
}

// portsNotRead: a session refused (an older read-only wrapper that does
// not allow the port questions, too many lines) costs the jails' own ports,
// not the check: they are judged on the default list, and the detail line
// says why. A timeout still ends the check.
func portsNotRead(ctx context.Context, states []JailState, at []int, err error) error {
	if ctx.Err() != nil {
		return err
	}
	for _, i := range at {
		states[i].BanPorts = nil
		states[i].PortsNote = err.Error()
	}
	return nil
}

// isPortPrint: a port value prints as one line of names, numbers, commas,
// colons and dashes; an error's text has quotes or words fail2ban's port
// syntax never has.
func isPortPrint(p string) bool {
	return p != "" && !strings.ContainsAny(p, "\n'\"()") && !strings.Contains(p, "attribute")
}
