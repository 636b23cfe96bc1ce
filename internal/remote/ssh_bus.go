package remote

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// DefaultSystemBus is where D-Bus puts the system bus socket.
const DefaultSystemBus = "/run/dbus/system_bus_socket"

// SystemBus says how to reach the mail host's D-Bus system bus over this
// connection: the socket path (the session's DBUS_SYSTEM_BUS_ADDRESS when it
// is a unix:path= address, else DefaultSystemBus) and the uid the bus will
// see on a stream-local channel (the SSH user's: sshd connects as that user),
// which is what D-Bus EXTERNAL authentication must claim. One remote command.
func (s *SSH) SystemBus(ctx context.Context) (path string, uid int, err error) {
	out, err := s.run(ctx, "id -u", `printf '%s\n' "$(id -u)" "$DBUS_SYSTEM_BUS_ADDRESS"`)
	if err != nil {
		return "", -1, err
	}
	lines := strings.Split(string(out.Stdout), "\n")
	if out.ExitCode != 0 || len(lines) < 2 {
		return "", -1, fmt.Errorf("id -u over SSH: exit %d%s", out.ExitCode, stderrNote(out.Stderr))
	}
	if uid, err = strconv.Atoi(strings.TrimSpace(lines[0])); err != nil || uid < 0 {
		return "", -1, fmt.Errorf("id -u over SSH said %q", lines[0])
	}
	path = DefaultSystemBus
	if addr := strings.TrimSpace(lines[1]); addr != "" {
		p, ok := strings.CutPrefix(addr, "unix:path=")
		if !ok || strings.Contains(p, ",") || strings.Contains(p, ";") {
			return "", -1, fmt.Errorf("the mail host's DBUS_SYSTEM_BUS_ADDRESS %q is not a plain unix:path= address", addr)
		}
		path = p
	}
	return path, uid, nil
}
