package fail2ban

import (
	"context"
	"strings"
)

// ServerInfo is what the server says about itself: its version (which
// ignoreself rules apply) and where it keeps its ban records and its log
// (where the cause of a ban can be read). "" for what it did not say.
type ServerInfo struct {
	Version   string // `version`: "1.0.2", "1.1.0"
	DBFile    string // `get dbfile`: a path, ":memory:", or "" when disabled
	LogTarget string // `get logtarget`: a path, or SYSLOG, SYSTEMD-JOURNAL, STDERR, STDOUT
}

// serverCommands are asked once per check, after the jail questions.
var serverCommands = [][]string{{"version"}, {"get", "dbfile"}, {"get", "logtarget"}}

// Server asks the three server questions on the check's connection. A
// refused question leaves its field empty: the check then says what it
// could not learn instead of failing.
func (s *SocketSource) Server(ctx context.Context) (ServerInfo, error) {
	c, err := s.session(ctx)
	if err != nil {
		return ServerInfo{}, err
	}
	r, err := c.do(ctx, serverCommands)
	if err != nil {
		return ServerInfo{}, err
	}
	str := func(x reply) string {
		v, _ := x.value.(string)
		return v
	}
	return ServerInfo{Version: str(r[0]), DBFile: str(r[1]), LogTarget: str(r[2])}, nil
}

// Server returns what the jail session learnt (Jails asks the server
// questions in the same fail2ban-client -i run); without one, it runs its own.
func (c *ClientSource) Server(ctx context.Context) (ServerInfo, error) {
	if c.info != nil {
		return *c.info, nil
	}
	answers, err := c.session(ctx, serverCommands)
	if err != nil {
		return ServerInfo{}, err
	}
	info := parseServerAnswers(answers)
	return info, nil
}

// parseServerAnswers reads fail2ban-client's prints (beautifier.py) of
// serverCommands: "1.0.2"; "Current database file is:\n`- PATH" or
// "Database currently disabled"; "Current logging target is:\n`- PATH".
func parseServerAnswers(a []string) ServerInfo {
	item := func(s, head string) string {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s), head); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), "`- "))
		}
		return ""
	}
	v := strings.TrimSpace(a[0])
	if strings.ContainsAny(v, " \n") {
		v = "" // not a version: a refusal or an error text
	}
	return ServerInfo{
		Version:   v,
		DBFile:    item(a[1], "Current database file is:"),
		LogTarget: item(a[2], "Current logging target is:"),
	}
}
