package fail2ban

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// JailState is what either backend learns about one jail. Values are kept as
// fail2ban reports them (ignoreip entries as text); judging them is
// ignoreip.go's and evaluate.go's job.
type JailState struct {
	Name          string
	Bans          []Ban    // the targets this jail bans (not its whole list)
	BanCount      int      // how many IDs the jail bans now (`status JAIL short`)
	IgnoreIP      []string // entries as the server prints them (IPAddr.ntoa or raw DNS name)
	IgnoreSelf    bool
	IgnoreCommand string // "" when unset
	// IgnoreFiles holds what the jail's file: entries name, by path
	// (fail2ban >= 1.1.1; ignorefile.go): read after the jails.
	IgnoreFiles map[string]FileSet
	Err         error // this jail could not be read (vanished, refused a command)
	// BanPorts are the `port` values of the jail's actions (jailports.go),
	// read only when the kernel's verdict is asked per jail; PortsNote says
	// why none were read.
	BanPorts  []string
	PortsNote string
	// Ports are BanPorts read as TCP ports, names resolved through the
	// mail host's /etc/services (resolveJailPorts, in Gather).
	Ports JailPortSet
}

// Ban is a target the jail bans; End and Permanent come from its entry in
// `get JAIL banip --with-time`.
type Ban struct {
	ID        string     // normally an IP; some jails ban other IDs
	Addr      netip.Addr // zero when ID is not an IP
	End       time.Time  // zero when the server did not say
	Permanent bool       // bantime -1
}

// TimeLeft is how long the ban still lasts at now, and whether that is known.
func (b Ban) TimeLeft(now time.Time) (time.Duration, bool) {
	if b.Permanent || b.End.IsZero() {
		return 0, false
	}
	return max(b.End.Sub(now), 0), true
}

// fail2ban prints ban times with MyTime.time2str: local time of the server,
// no zone. The plugin talks to a local socket, so the server's local time is
// ours.
const f2bTimeLayout = "2006-01-02 15:04:05"

// banLineID is the banned ID (normally an IP) a ban-list line starts with.
func banLineID(line string) string {
	id, _, _ := strings.Cut(line, " \t")
	return strings.TrimSpace(id)
}

// parseBan parses one line of `get JAIL banip --with-time`, as written by
// banmanager.py: "IP \tSTART + BANTIME = END". A bare ID (no time) is
// accepted too, so an older server or a plain `banip` list still works.
func parseBan(line string, loc *time.Location) (Ban, error) {
	_, rest, hasTime := strings.Cut(line, " \t")
	id := banLineID(line)
	b := Ban{ID: id}
	if a, err := netip.ParseAddr(id); err == nil {
		b.Addr = a.Unmap()
	}
	if id == "" {
		return b, fmt.Errorf("empty ban entry %q", line)
	}
	if !hasTime {
		return b, nil
	}
	// START + BANTIME = END; START and END contain a space themselves.
	left, end, ok := strings.Cut(rest, " = ")
	if !ok {
		return b, fmt.Errorf("ban entry %q: no \" = END\"", line)
	}
	i := strings.LastIndex(left, " + ")
	if i < 0 {
		return b, fmt.Errorf("ban entry %q: no \" + BANTIME\"", line)
	}
	bantime, err := strconv.ParseInt(strings.TrimSpace(left[i+3:]), 10, 64)
	if err != nil {
		return b, fmt.Errorf("ban entry %q: bantime: %v", line, err)
	}
	if bantime < 0 {
		b.Permanent = true
		return b, nil
	}
	t, err := time.ParseInLocation(f2bTimeLayout, strings.TrimSpace(end), loc)
	if err != nil {
		return b, fmt.Errorf("ban entry %q: end time: %v", line, err)
	}
	b.End = t
	return b, nil
}

// Source gathers jail facts from one fail2ban server.
type Source interface {
	// JailNames lists every jail the server runs (`status`).
	JailNames(ctx context.Context) ([]string, error)
	// Jails reads, for the named jails, which of ips each bans and the
	// ignore settings. An error means nothing could be read; a per-jail
	// problem is in JailState.Err.
	Jails(ctx context.Context, names []string, ips []netip.Addr) ([]JailState, error)
	// BanEnds fills in the end of each ban in jails whose end is not known
	// yet, from the jail's ban list (read only for such a jail).
	BanEnds(ctx context.Context, jails []JailState) error
	// Server asks the server's version, database file and log target.
	Server(ctx context.Context) (ServerInfo, error)
	// Name is "socket PATH" or "fail2ban-client", for messages.
	Name() string
	// Close releases what the source holds (the socket connection).
	Close()
}
