package firewalld

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// Asking the host which firewalld release it runs (FirewalldVersion and
// what each release's readers refuse are in package fwconfig).

// firewallCmdVersion asks `firewall-cmd --version` on the host (the
// running firewalld's version property, over its D-Bus).
func firewallCmdVersion(ctx context.Context, host remote.Host, firewallCmd string) fwconfig.FirewalldVersion {
	out, err := runFirewallCmd(ctx, host, firewallCmd, "--version")
	if err != nil {
		return fwconfig.UnknownFirewalldVersion(err)
	}
	return fwconfig.ParseFirewalldVersion(out, firewallCmd+" --version")
}

// version reads firewalld's D-Bus property version.
func (s *DBusSource) version(ctx context.Context) fwconfig.FirewalldVersion {
	var v dbus.Variant
	obj := s.conn.Object(busName, objectPath)
	err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, ifaceMain, "version").Store(&v)
	if err != nil {
		return fwconfig.UnknownFirewalldVersion(classify("Get(version)", err))
	}
	text, ok := v.Value().(string)
	if !ok {
		return fwconfig.UnknownFirewalldVersion(fmt.Errorf("D-Bus property version is %s, not a string", v.Signature()))
	}
	return fwconfig.ParseFirewalldVersion(text, "D-Bus")
}
