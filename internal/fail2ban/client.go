package fail2ban

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// ClientSource runs fail2ban-client, for hosts where the monitoring user may
// only run it through a sudo rule. It costs two Python starts per check:
// `status` for the jail list, then one interactive session (-i) that reads
// every per-jail question from stdin, instead of one process per question.
type ClientSource struct {
	Host   remote.Host // where fail2ban-client runs (remote.Local{} when nil)
	Path   string      // fail2ban-client
	Socket string
	Sudo   bool           // prefix with `sudo -n`
	Local  *time.Location // time zone of ban end times (time.Local when nil)

	info *ServerInfo // the server questions' answers, from the Jails session
}

// prompt is what fail2ban-client -i prints before reading each command
// (client/fail2banclient.py PROMPT); the output is split on it.
const prompt = "fail2ban> "

// Close does nothing: every fail2ban-client run has ended already.
func (c *ClientSource) Close() {}

// Name is used in messages.
func (c *ClientSource) Name() string { return "fail2ban-client (" + c.Path + " -s " + c.Socket + ")" }

func (c *ClientSource) argv(args ...string) []string {
	a := []string{c.Path, "-s", c.Socket}
	if c.Sudo {
		a = append([]string{remote.SudoPath, "-n"}, a...)
	}
	return append(a, args...)
}

// run executes fail2ban-client on the host under ctx: a hung client is
// killed at the deadline (its whole process group, by remote.Host) and
// reported as a timeout naming the command. lines, when not nil, are fed to
// `fail2ban-client -i` one per line.
func (c *ClientSource) run(ctx context.Context, lines []string, args ...string) (string, error) {
	argv := c.argv(args...)
	what := strings.Join(argv, " ")
	if lines != nil {
		// remote.Host.Run gives commands an empty stdin (one seam for local
		// and SSH), so sh feeds the session from its own arguments: printf
		// writes them, never interprets them.
		script := `printf '%s\n' "$@" | ` + shWords(argv)
		argv = append([]string{"/bin/sh", "-c", script, "fail2ban-client"}, lines...)
	}
	host := c.Host
	if host == nil {
		host = remote.Local{}
	}
	start := time.Now()
	out, err := host.Run(ctx, argv)
	if ctx.Err() != nil {
		return "", gatherErr(KindTimeout, "fail2ban-server is alive but busy or hung: check its log, or restart it (systemctl restart fail2ban)",
			"`%s` did not finish: stalled for %s", what, since(start))
	}
	if err != nil {
		return "", gatherErr(KindOther, "install fail2ban, or pass --fail2ban-client with its path", "cannot run %s: %v", c.Path, err)
	}
	stderr := string(out.Stderr)
	if gerr := c.classifyStderr(stderr); gerr != nil {
		return "", gerr
	}
	if out.ExitCode == 126 || out.ExitCode == 127 {
		return "", gatherErr(KindOther, "install fail2ban, or pass --fail2ban-client with its path", "cannot run %s: %s", c.Path, lastLine(stderr))
	}
	if out.ExitCode != 0 && lines == nil {
		return "", gatherErr(KindOther, "", "`%s` failed (exit %d): %s", what, out.ExitCode, lastLine(stderr))
	}
	return string(out.Stdout), nil
}

// shWords quotes argv for sh: every word in single quotes.
func shWords(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'"'"'`) + "'"
	}
	return strings.Join(q, " ")
}

// classifyStderr recognises the socket and sudo failures fail2ban-client
// and sudo report (fail2banclient.py __logSocketError).
func (c *ClientSource) classifyStderr(stderr string) error {
	switch {
	case strings.Contains(stderr, "Failed to access socket path"):
		return gatherErr(KindMissing, startFix, "fail2ban socket %s does not exist: is fail2ban running?", c.Socket)
	case strings.Contains(stderr, "Permission denied to socket"):
		return gatherErr(KindPermission, permissionFix(c.Socket, c.Path),
			"permission denied on fail2ban socket %s (it is root-only by default)", c.Socket)
	case strings.Contains(stderr, "sudo:"):
		return gatherErr(KindPermission, permissionFix(c.Socket, c.Path), "sudo refused to run %s: %s", c.Path, lastLine(stderr))
	case strings.Contains(stderr, "Unable to contact server"):
		return gatherErr(KindRefused, "systemctl restart fail2ban",
			"fail2ban socket %s refuses connections: fail2ban-server is not running (stale socket)", c.Socket)
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	// drop fail2ban's "2026-01-01 00:00:00,000 fail2ban [123]: ERROR   " prefix
	if i := strings.Index(l, "ERROR"); i >= 0 {
		l = strings.TrimSpace(l[i+len("ERROR"):])
	}
	return l
}

// JailNames runs `fail2ban-client status`.
func (c *ClientSource) JailNames(ctx context.Context) ([]string, error) {
	out, err := c.run(ctx, nil, "status")
	if err != nil {
		return nil, err
	}
	names, err := parseStatus(out)
	if err != nil {
		return nil, gatherErr(KindGarbage, "", "fail2ban-client status: %v", err)
	}
	return names, nil
}

// parseStatus reads the "`- Jail list:\tdovecot, postfix-sasl" line.
func parseStatus(out string) ([]string, error) {
	for _, l := range strings.Split(out, "\n") {
		if _, list, ok := strings.Cut(l, "Jail list:"); ok {
			return splitJailList(list)
		}
	}
	return nil, fmt.Errorf("no \"Jail list:\" line in %q", firstLine(out))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// Jails asks every per-jail question, and the server questions, in one
// interactive session.
func (c *ClientSource) Jails(ctx context.Context, names []string, ips []netip.Addr) ([]JailState, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var cmds [][]string
	for _, n := range names {
		cmds = append(cmds, jailCommands(n, ips)...)
	}
	cmds = append(cmds, serverCommands...) // one Python start for both
	answers, err := c.session(ctx, cmds)
	if err != nil {
		return nil, err
	}
	info := parseServerAnswers(answers[len(names)*perJail:])
	c.info = &info
	states := make([]JailState, len(names))
	for i, n := range names {
		states[i] = parseJailAnswers(n, answers[i*perJail:i*perJail+perJail], ips)
	}
	return states, nil
}

// BanEnds reads, in one more session and only when needed, the ban list of
// each jail that bans a target whose end is not known yet.
func (c *ClientSource) BanEnds(ctx context.Context, states []JailState) error {
	at := jailsWithoutEnds(states)
	if len(at) == 0 {
		return nil
	}
	cmds := make([][]string, len(at))
	for k, i := range at {
		cmds[k] = banListCommand(states[i].Name)
	}
	answers, err := c.session(ctx, cmds)
	if err != nil {
		return err
	}
	loc := c.Local
	if loc == nil {
		loc = time.Local
	}
	for k, i := range at {
		var lines []string
		if strings.TrimSpace(answers[k]) != "" {
			lines = strings.Split(answers[k], "\n")
		}
		states[i].Bans = withEndTimes(states[i].Bans, lines, loc)
	}
	return nil
}

// session runs cmds in one `fail2ban-client -i` and returns one answer each.
func (c *ClientSource) session(ctx context.Context, cmds [][]string) ([]string, error) {
	lines := make([]string, 0, len(cmds)+1)
	for _, cmd := range cmds {
		lines = append(lines, shellQuoteAll(cmd))
	}
	out, err := c.run(ctx, append(lines, "exit"), "-i")
	if err != nil {
		return nil, err
	}
	answers, err := splitInteractive(out, len(cmds))
	if err != nil {
		return nil, gatherErr(KindGarbage, "", "fail2ban-client -i: %v", err)
	}
	return answers, nil
}

// splitInteractive cuts -i output into one answer per command: the banner
// comes before the first prompt, each answer follows one.
func splitInteractive(out string, n int) ([]string, error) {
	parts := strings.Split(out, prompt)
	if len(parts) < n+1 {
		return nil, fmt.Errorf("%d answers for %d commands", len(parts)-1, n)
	}
	answers := parts[1 : n+1]
	for i := range answers {
		answers[i] = strings.TrimRight(answers[i], "\n")
	}
	return answers, nil
}

// parseJailAnswers reads the beautified answers (client/beautifier.py) to
// jailCommands, in order: banned, ignoreip, ignoreself, ignorecommand,
// status short.
func parseJailAnswers(name string, a []string, ips []netip.Addr) JailState {
	st := JailState{Name: name}
	for _, x := range a {
		if strings.HasPrefix(x, "Sorry but the jail '") {
			st.Err = &ServerError{Class: "fail2ban.exceptions.UnknownJailException", Message: name}
			return st
		}
	}
	banned, err := parseBannedPrint(a[0], len(ips))
	if err != nil {
		st.Err = fmt.Errorf("banned: %v", err)
		return st
	}
	for k, b := range banned {
		if b {
			st.Bans = append(st.Bans, Ban{ID: ips[k].String(), Addr: ips[k]})
		}
	}
	if st.BanCount, err = parseShortStatus(a[4]); err != nil {
		st.Err = fmt.Errorf("status short: %v", err)
		return st
	}

	ig := strings.Split(a[1], "\n")
	switch {
	case strings.HasPrefix(ig[0], "No IP address/network is ignored"):
	case strings.HasPrefix(ig[0], "These IP addresses/networks are ignored:"):
		for _, l := range ig[1:] {
			l = strings.TrimPrefix(strings.TrimPrefix(l, "|- "), "`- ")
			if l != "" {
				st.IgnoreIP = append(st.IgnoreIP, l)
			}
		}
	default:
		st.Err = fmt.Errorf("unexpected ignoreip answer %q", firstLine(a[1]))
		return st
	}
	switch strings.TrimSpace(a[2]) {
	case "True", "1":
		st.IgnoreSelf = true
	case "False", "0":
	default:
		st.Err = fmt.Errorf("unexpected ignoreself answer %q", firstLine(a[2]))
		return st
	}
	// The server answers False for "never set" and prints it as such.
	if cmd := strings.TrimSpace(a[3]); cmd != "False" && cmd != "None" {
		st.IgnoreCommand = cmd
	}
	return st
}

// shellQuoteAll quotes for fail2ban-client -i, which splits lines with
// shlex: single quotes keep a jail name with odd characters in one word.
func shellQuoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r == '-' || r == '_' || r == '.' || r == '@' || r == '+' || r == ':' || r == '/' ||
				(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'"'"'`) + "'"
	}
	return strings.Join(q, " ")
}
