package firewalld

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// NetworkManager binds each interface it activates to a firewalld zone at
// runtime (D-Bus addInterface/changeZoneOfInterface with the profile's
// connection.zone, "" for the default zone), and firewalld's reload()
// asks it back (core/fw.py reload: nm_get_bus_name, then
// nm_get_interfaces_in_zone for every zone and ""): those bindings are
// not lost at a reload, whatever the permanent config says.

const (
	nmBusName    = "org.freedesktop.NetworkManager"
	nmPath       = "/org/freedesktop/NetworkManager"
	nmActiveConn = "org.freedesktop.NetworkManager.Connection.Active"
	nmDevice     = "org.freedesktop.NetworkManager.Device"
	nmSettings   = "org.freedesktop.NetworkManager.Settings.Connection"
	// NM_SETTINGS_CONNECTION_FLAG_NM_GENERATED | _VOLATILE: connections
	// fw_nm.py nm_get_interfaces skips (firewalld does not restore them).
	nmFlagsNotRestored = 0x2 | 0x4
)

// NMDevice is an interface NetworkManager has an active connection on.
type NMDevice struct {
	Interface string
	Profile   string // the connection's id, as nmcli names it
	Zone      string // connection.zone; "" means the default zone
	// Restored: firewalld's reload re-applies the zone (not a generated or
	// volatile connection, not a VPN).
	Restored bool
}

// NMFacts is what NetworkManager said, over the bus firewalld is on.
type NMFacts struct {
	Asked   bool  // false: no bus to ask (firewall-cmd through sudo)
	Running bool  // NetworkManager owns its name on that bus
	Err     error // it runs but could not be asked
	Devices map[string]NMDevice
}

// Restores reports whether firewalld's reload re-applies NetworkManager's
// zone to iface, and that device.
func (n NMFacts) Restores(iface string) (NMDevice, bool) {
	d, ok := n.Devices[iface]
	return d, ok && d.Restored && n.Running && n.Err == nil
}

// networkManager asks NetworkManager, as fw_nm.py does, for its active
// connections, their devices' IP interfaces and their connection.zone.
// NetworkManager absent from the bus is a fact (a host without it), not an
// error; it is never started by the asking (no call to an unowned name,
// which the bus could activate).
func (s *DBusSource) networkManager(ctx context.Context) NMFacts {
	n := NMFacts{Asked: true, Devices: map[string]NMDevice{}}
	if err := s.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, nmBusName).Store(&n.Running); err != nil {
		n.Err = fmt.Errorf("D-Bus NameHasOwner %s: %v", nmBusName, err)
		return n
	}
	if !n.Running {
		return n
	}
	var active []dbus.ObjectPath
	if err := s.nmProperty(ctx, nmPath, nmBusName, "ActiveConnections", &active); err != nil {
		n.Err = err
		return n
	}
	for _, ac := range active {
		if err := s.nmActive(ctx, ac, n.Devices); err != nil {
			n.Err = err
			return n
		}
	}
	return n
}

// nmActive adds the devices of one active connection (nm_get_connections
// and nm_get_interfaces: VPNs are ignored, generated or volatile profiles
// are not restored).
func (s *DBusSource) nmActive(ctx context.Context, ac dbus.ObjectPath, out map[string]NMDevice) error {
	var vpn bool
	var devices []dbus.ObjectPath
	var conn dbus.ObjectPath
	if err := s.nmProperty(ctx, ac, nmActiveConn, "Vpn", &vpn); err != nil || vpn {
		return err
	}
	if err := s.nmProperty(ctx, ac, nmActiveConn, "Devices", &devices); err != nil {
		return err
	}
	if err := s.nmProperty(ctx, ac, nmActiveConn, "Connection", &conn); err != nil {
		return err
	}
	var settings map[string]map[string]dbus.Variant
	if err := s.conn.Object(nmBusName, conn).CallWithContext(ctx, nmSettings+".GetSettings", 0).Store(&settings); err != nil {
		return fmt.Errorf("NetworkManager GetSettings %s: %v", conn, err)
	}
	var flags uint32
	if err := s.nmProperty(ctx, conn, nmSettings, "Flags", &flags); err != nil {
		return err
	}
	id, _ := settings["connection"]["id"].Value().(string)
	zone, _ := settings["connection"]["zone"].Value().(string)
	for _, dev := range devices {
		var iface string
		if err := s.nmProperty(ctx, dev, nmDevice, "IpInterface", &iface); err != nil {
			return err
		}
		if iface != "" {
			out[iface] = NMDevice{Interface: iface, Profile: id, Zone: zone, Restored: flags&nmFlagsNotRestored == 0}
		}
	}
	return nil
}

func (s *DBusSource) nmProperty(ctx context.Context, path dbus.ObjectPath, iface, name string, out any) error {
	var v dbus.Variant
	err := s.conn.Object(nmBusName, path).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, iface, name).Store(&v)
	if err == nil {
		err = dbus.Store([]any{v.Value()}, out)
	}
	if err != nil {
		return fmt.Errorf("NetworkManager %s %s: %v", path, name, err)
	}
	return nil
}

// askNetworkManager asks NetworkManager on the local bus when firewalld's
// runtime came from firewall-cmd (its properties are readable by any
// user, unlike firewalld's settings under polkit); no bus: not asked.
func askNetworkManager(ctx context.Context, address string) NMFacts {
	s := &DBusSource{Address: address}
	if err := s.Connect(ctx); err != nil {
		return NMFacts{}
	}
	defer s.Close()
	return s.networkManager(ctx)
}
