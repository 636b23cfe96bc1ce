package firewalld

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/godbus/dbus/v5"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// RemoteBus is the mail host's system bus reached over SSH: a stream-local
// channel to its socket, authenticated (EXTERNAL) as the uid sshd connects
// with. It gives a remote check the very source a local one uses, at the
// cost of one small command and one channel, where firewall-cmd costs a
// Python start on the mail host.
type RemoteBus struct {
	Host remote.Host
	Path string // socket on the mail host
	UID  int    // the SSH user's uid there
}

// systemBusHost is a host that can say where its system bus is
// (remote.SSH).
type systemBusHost interface {
	remote.Host
	SystemBus(ctx context.Context) (path string, uid int, err error)
}

// remoteBus finds the mail host's bus; nil with the reason when the host
// cannot offer one (run through sudo, or the lookup failed).
func remoteBus(ctx context.Context, host remote.Host) (*RemoteBus, error) {
	h, ok := host.(systemBusHost)
	if !ok {
		return nil, errors.New("the host offers no D-Bus (--sudo: firewall-cmd runs through sudo)")
	}
	path, uid, err := h.SystemBus(ctx)
	if err != nil {
		return nil, err
	}
	return &RemoteBus{Host: host, Path: path, UID: uid}, nil
}

func (s *DBusSource) connectRemote(ctx context.Context) error {
	r := s.Remote
	where := r.Path + " " + r.Host.Where()
	c, err := r.Host.DialUnix(ctx, r.Path)
	if err != nil {
		return fmt.Errorf("%w at %s: %v", ErrNoBus, where, err)
	}
	conn, err := dbus.NewConn(c, dbus.WithContext(ctx))
	if err != nil {
		c.Close()
		return fmt.Errorf("%w at %s: %v", ErrNoBus, where, err)
	}
	if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(r.UID))}); err != nil {
		conn.Close()
		return fmt.Errorf("%w at %s: authentication as uid %d: %v", ErrNoBus, where, r.UID, err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return fmt.Errorf("%w at %s: %v", ErrNoBus, where, err)
	}
	s.conn = conn
	return nil
}
