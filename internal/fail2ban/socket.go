package fail2ban

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// DefaultMaxReply caps one ban list reply. A jail with a hundred thousand bans is a
// few MiB; anything bigger is a broken or hostile peer, and we must not read
// it into memory without end.
const DefaultMaxReply = 8 << 20

// maxSmallReply caps the replies that are not ban lists (status, ignoreip,
// ignoreself, ignorecommand): an ignoreip of ten thousand entries is about
// 200 KiB.
const maxSmallReply = 256 << 10

// SocketSource talks to fail2ban-server over its control socket, the way
// fail2ban-client does (client/csocket.py), without starting Python.
type SocketSource struct {
	Host     remote.Host // where the socket is (remote.Local{} when nil)
	Path     string
	MaxReply int // bytes per ban-list reply; DefaultMaxReply when 0
	// Local is the server's time zone for ban end times (time.Local when nil).
	Local *time.Location
	// ClientPath is only used to word the permission fix.
	ClientPath string

	cur *conn // the one connection a check uses, from JailNames to Close
}

// Name is used in messages.
func (s *SocketSource) Name() string { return "socket " + s.Path }

// reply is the answer to one command: a value, or the server's refusal.
type reply struct {
	value any
	err   error // *ServerError, or a KindGarbage GatherError for an undecodable value
}

// conn is one connection; requests are pipelined (fail2ban's asynchat
// handler answers them in order), which makes a 10-jail check one round trip.
type conn struct {
	c       net.Conn
	src     *SocketSource
	pending []byte
	start   time.Time
	stop    func() bool
}

// close says goodbye as fail2ban-client does, so the server logs no error.
func (c *conn) close() {
	c.stop()
	_, _ = c.c.Write([]byte(closeCommand + terminator))
	_ = c.c.Close()
}

// do sends every command at once, then reads one reply per command.
func (c *conn) do(ctx context.Context, cmds [][]string) ([]reply, error) {
	var out bytes.Buffer
	for _, cmd := range cmds {
		b, err := encodeRequest(cmd)
		if err != nil {
			return nil, gatherErr(KindOther, "", "encoding %q: %v", cmd, err)
		}
		out.Write(b)
	}
	if _, err := c.c.Write(out.Bytes()); err != nil {
		return nil, c.ioErr(ctx, "sending "+quoteCmd(cmds[0]), err)
	}
	replies := make([]reply, len(cmds))
	for i, cmd := range cmds {
		raw, err := c.readFrame(ctx, cmd)
		if err != nil {
			return nil, err
		}
		v, err := decodeReply(raw)
		var se *ServerError
		switch {
		case errors.As(err, &se):
			replies[i] = reply{err: se}
		case err != nil:
			// Framing is intact (the terminator was found), so the other
			// replies can still be used: one undecodable value (a future
			// fail2ban object in a list) costs one jail, not the check.
			replies[i] = reply{err: gatherErr(KindGarbage, "check that --socket is fail2ban's control socket (`socket =` in /etc/fail2ban/fail2ban.conf or fail2ban.local)",
				"fail2ban socket %s answered %s with something that is not a fail2ban reply: %v", c.src.Path, quoteCmd(cmd), err)}
		default:
			replies[i] = reply{value: v}
		}
	}
	return replies, nil
}

// readFrame reads up to the next terminator, as csocket.py does, but with a
// size cap and the ctx deadline already set on the connection.
func (c *conn) readFrame(ctx context.Context, cmd []string) ([]byte, error) {
	limit := maxSmallReply
	if len(cmd) >= 3 && cmd[2] == "banip" {
		limit = c.src.MaxReply
		if limit <= 0 {
			limit = DefaultMaxReply
		}
	}
	buf := make([]byte, 64<<10)
	scanned := 0 // bytes of pending already searched: keeps a long reply linear
	for {
		if i := bytes.Index(c.pending[scanned:], []byte(terminator)); i >= 0 {
			i += scanned
			frame := c.pending[:i]
			c.pending = c.pending[i+len(terminator):]
			return frame, nil
		}
		scanned = max(0, len(c.pending)-len(terminator)+1)
		if len(c.pending) > limit {
			return nil, gatherErr(KindGarbage, "", "fail2ban socket %s: reply to %s exceeds %d KiB without an end marker",
				c.src.Path, quoteCmd(cmd), limit>>10)
		}
		n, err := c.c.Read(buf)
		c.pending = append(c.pending, buf[:n]...)
		if err != nil {
			if n > 0 && err != io.EOF {
				continue
			}
			if err == io.EOF && bytes.Contains(c.pending[scanned:], []byte(terminator)) {
				continue
			}
			return nil, c.ioErr(ctx, "reading the reply to "+quoteCmd(cmd), err)
		}
	}
}

// ioErr words a failed read or write. c.pending holds what arrived of the
// reply being read, which tells a silent peer from a dripping one.
func (c *conn) ioErr(ctx context.Context, what string, err error) error {
	switch {
	case isTimeout(ctx, err) && len(c.pending) > 0:
		return gatherErr(KindTimeout, "fail2ban-server is overloaded, or something else answers on this socket: check its log (/var/log/fail2ban.log)",
			"fail2ban socket %s answered too slowly: %d bytes and no end marker %s in %s", c.src.Path, len(c.pending), what, since(c.start))
	case isTimeout(ctx, err):
		return gatherErr(KindTimeout, "fail2ban-server is alive but busy or hung: check its log, or restart it (systemctl restart fail2ban)",
			"fail2ban socket %s stalled: no progress %s after %s", c.src.Path, what, since(c.start))
	case errors.Is(err, syscall.ECONNRESET):
		return gatherErr(KindGarbage, "check fail2ban's log (/var/log/fail2ban.log) for a PROTO-error or a crash",
			"fail2ban socket %s reset the connection while %s (%d bytes of it had arrived)", c.src.Path, what, len(c.pending))
	case err == io.EOF || errors.Is(err, syscall.EPIPE):
		return gatherErr(KindGarbage, "check fail2ban's log (/var/log/fail2ban.log) for a PROTO-error",
			"fail2ban socket %s closed the connection while %s", c.src.Path, what)
	}
	return gatherErr(KindOther, "", "fail2ban socket %s: %s: %v", c.src.Path, what, err)
}

func quoteCmd(cmd []string) string { return "`" + strings.Join(cmd, " ") + "`" }

// session returns the check's connection, dialling it on first use. One
// connection carries the whole check (status, then every jail question):
// fail2ban-server listens with a backlog of 1 (asyncserver.py
// AsyncServer.start: self.listen(1)), so every extra connect is one more
// wait in line when many checks run at once.
func (s *SocketSource) session(ctx context.Context) (*conn, error) {
	if s.cur != nil {
		return s.cur, nil
	}
	c, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	s.cur = c
	return c, nil
}

// Close ends the check's connection, if one is open.
func (s *SocketSource) Close() {
	if s.cur != nil {
		s.cur.close()
		s.cur = nil
	}
}

// JailNames asks `status` for the jail list.
func (s *SocketSource) JailNames(ctx context.Context) ([]string, error) {
	c, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.do(ctx, [][]string{{"status"}})
	if err != nil {
		return nil, err
	}
	if r[0].err != nil {
		if KindOf(r[0].err) == KindGarbage {
			return nil, r[0].err
		}
		return nil, gatherErr(KindOther, "", "fail2ban refused `status`: %v", r[0].err)
	}
	names, err := jailListFromStatus(r[0].value)
	if err != nil {
		return nil, gatherErr(KindGarbage, "", "fail2ban socket %s: `status`: %v", s.Path, err)
	}
	return names, nil
}

// jailListFromStatus reads [("Number of jail", n), ("Jail list", "a, b")].
func jailListFromStatus(v any) ([]string, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: status is %s", errNotAReply, describe(v))
	}
	for _, it := range items {
		pair, ok := it.([]any)
		if !ok || len(pair) != 2 {
			continue
		}
		if k, _ := pair[0].(string); k == "Jail list" {
			list, ok := pair[1].(string)
			if !ok {
				return nil, fmt.Errorf("%w: jail list is %s", errNotAReply, describe(pair[1]))
			}
			return splitJailList(list)
		}
	}
	return nil, fmt.Errorf("%w: no \"Jail list\" in status", errNotAReply)
}

// maxJails caps the jail list: a real host has a few dozen jails at most,
// and each jail costs four questions; a longer list comes from a broken or
// hostile peer, and is refused before it is split (a 16 MiB list of one-letter
// names would otherwise become millions of strings and questions).
const maxJails = 1000

func splitJailList(list string) ([]string, error) {
	if n := strings.Count(list, ",") + 1; n > maxJails {
		return nil, fmt.Errorf("%w: the jail list names %d jails, more than the %d this check reads", errNotAReply, n, maxJails)
	}
	var names []string
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}

// Jails reads every named jail over one connection, all requests
// pipelined: per jail, whether each target is banned, the ignore settings
// and the ban count (jailCommands): no ban list, so on a host with many bans
// the cost does not grow with them (BanEnds reads a list only when needed).
func (s *SocketSource) Jails(ctx context.Context, names []string, ips []netip.Addr) ([]JailState, error) {
	if len(names) == 0 {
		return nil, nil
	}
	c, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	var cmds [][]string
	for _, n := range names {
		cmds = append(cmds, jailCommands(n, ips)...)
	}
	replies, err := c.do(ctx, cmds)
	if err != nil {
		return nil, err
	}
	states := make([]JailState, len(names))
	for i, name := range names {
		r := replies[i*perJail : i*perJail+perJail]
		st, err := jailFromReplies(name, r, ips)
		if err != nil {
			return nil, gatherErr(KindGarbage, "", "fail2ban socket %s: jail %s: %v", s.Path, name, err)
		}
		states[i] = st
	}
	return states, nil
}

// BanEnds reads the ban list of each jail that bans a target whose end is
// not known yet (from fail2ban's database), and fills in the ends.
func (s *SocketSource) BanEnds(ctx context.Context, states []JailState) error {
	at := jailsWithoutEnds(states)
	if len(at) == 0 {
		return nil
	}
	c, err := s.session(ctx)
	if err != nil {
		return err
	}
	cmds := make([][]string, len(at))
	for k, i := range at {
		cmds[k] = banListCommand(states[i].Name)
	}
	lists, err := c.do(ctx, cmds)
	if err != nil {
		return err
	}
	loc := s.Local
	if loc == nil {
		loc = time.Local
	}
	for k, i := range at {
		if KindOf(lists[k].err) == KindGarbage {
			return lists[k].err // over a cap, or not a pickle: as for any reply
		}
		if lists[k].err != nil {
			continue // refused (jail reloaded meanwhile): the ban stays, without its end
		}
		if lines, err := stringList(lists[k].value); err == nil {
			states[i].Bans = withEndTimes(states[i].Bans, lines, loc)
		}
	}
	return nil
}

// jailFromReplies turns one jail's replies into a JailState. A refused
// command (unknown jail) is the jail's Err; a reply of the wrong shape is an
// error.
func jailFromReplies(name string, r []reply, ips []netip.Addr) (JailState, error) {
	st := JailState{Name: name}
	for _, x := range r {
		if x.err != nil {
			st.Err = x.err
			return st, nil
		}
	}
	banned, err := bannedFlags(r[0].value, len(ips))
	if err != nil {
		return st, fmt.Errorf("banned: %w", err)
	}
	for k, b := range banned {
		if b {
			st.Bans = append(st.Bans, Ban{ID: ips[k].String(), Addr: ips[k]})
		}
	}
	if st.BanCount, err = currentlyBanned(r[4].value); err != nil {
		return st, fmt.Errorf("status short: %w", err)
	}
	// ignoreip entries are normally strings (IPAddr pickles as str); anything
	// else (a future file: set object) is kept as text and judged opaque.
	if items, ok := r[1].value.([]any); ok {
		for _, it := range items {
			if s, ok := it.(string); ok {
				st.IgnoreIP = append(st.IgnoreIP, s)
			} else {
				st.IgnoreIP = append(st.IgnoreIP, opaquePrefix+describe(it))
			}
		}
	} else {
		return st, fmt.Errorf("ignoreip: %w: %s", errNotAReply, describe(r[1].value))
	}
	switch v := r[2].value.(type) {
	case bool:
		st.IgnoreSelf = v
	case int64:
		st.IgnoreSelf = v != 0
	default:
		return st, fmt.Errorf("ignoreself: %w: %s", errNotAReply, describe(v))
	}
	switch v := r[3].value.(type) {
	case string:
		st.IgnoreCommand = v
	case bool, nil:
		// False or None: no ignorecommand
	default:
		return st, fmt.Errorf("ignorecommand: %w: %s", errNotAReply, describe(v))
	}
	return st, nil
}

func stringList(v any) ([]string, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s", errNotAReply, describe(v))
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, fmt.Errorf("%w: list item is %s", errNotAReply, describe(it))
		}
		out = append(out, s)
	}
	return out, nil
}
