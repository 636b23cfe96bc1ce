package firewalld

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// networkManager asks NetworkManager, as fw_nm.py does, for the active
// connection on each of ifaces (the interfaces bound at runtime and those
// clients arrive on: the only ones that can change a verdict; a host with
// many containers has an active, generated connection per veth), and its
// profile's connection.zone. NetworkManager absent from the bus is a fact
// (a host without it), not an error; it is never started by the asking
// (no call to an unowned name, which the bus could activate).
func (s *DBusSource) networkManager(ctx context.Context, ifaces []string) NMFacts {
	n := NMFacts{Asked: true, Devices: map[string]NMDevice{}}
	if err := s.answer(ctx, s.conn.BusObject(), "org.freedesktop.DBus.NameHasOwner", nmBusName).Store(&n.Running); err != nil {
		n.Err = fmt.Errorf("D-Bus NameHasOwner %s: %v", nmBusName, err)
		return n
	}
	if !n.Running {
		return n
	}
	for _, iface := range ifaces {
		d, ok, err := s.nmDevice(ctx, iface)
		if err != nil {
			n.Err = err
			return n
		}
		if ok {
			n.Devices[iface] = d
		}
	}
	return n
}

// nmDevice is the active connection on one interface (nm_get_connections
// and nm_get_interfaces: VPNs are ignored, generated or volatile profiles
// are not restored); ok false when NetworkManager has none there.
func (s *DBusSource) nmDevice(ctx context.Context, iface string) (NMDevice, bool, error) {
	var dev, ac, conn dbus.ObjectPath
	err := s.conn.Object(nmBusName, nmPath).CallWithContext(ctx, nmBusName+".GetDeviceByIpIface", 0, iface).Store(&dev)
	var de dbus.Error
	if errors.As(err, &de) && strings.HasSuffix(de.Name, ".UnknownDevice") {
		return NMDevice{}, false, nil
	}
	if err != nil {
		return NMDevice{}, false, fmt.Errorf("NetworkManager GetDeviceByIpIface %s: %v", iface, err)
	}
	if err := s.nmProperty(ctx, dev, nmDevice, "ActiveConnection", &ac); err != nil || ac == "/" {
		return NMDevice{}, false, err
	}
	var vpn bool
	if err := s.nmProperty(ctx, ac, nmActiveConn, "Vpn", &vpn); err != nil || vpn {
		return NMDevice{}, false, err
	}
	if err := s.nmProperty(ctx, ac, nmActiveConn, "Connection", &conn); err != nil {
		return NMDevice{}, false, err
	}
	var settings map[string]map[string]dbus.Variant
	if err := s.conn.Object(nmBusName, conn).CallWithContext(ctx, nmSettings+".GetSettings", 0).Store(&settings); err != nil {
		return NMDevice{}, false, fmt.Errorf("NetworkManager GetSettings %s: %v", conn, err)
	}
	var flags uint32
	if err := s.nmProperty(ctx, conn, nmSettings, "Flags", &flags); err != nil {
		return NMDevice{}, false, err
	}
	id, _ := settings["connection"]["id"].Value().(string)
	zone, _ := settings["connection"]["zone"].Value().(string)
	return NMDevice{Interface: iface, Profile: id, Zone: zone, Restored: flags&nmFlagsNotRestored == 0}, true, nil
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
func askNetworkManager(ctx context.Context, address string, ifaces []string) NMFacts {
	s := &DBusSource{Address: address}
	if err := s.Connect(ctx); err != nil {
		return NMFacts{}
	}
	defer s.Close()
	return s.networkManager(ctx, ifaces)
}

// nmInterfaces are the interfaces whose NetworkManager zone can change the
// verdict: bound in the runtime view, or where clients arrive.
func (f *Facts) nmInterfaces() []string {
	var out []string
	if f.Runtime != nil {
		for _, name := range sortedKeys(f.Runtime.Zones) {
			for _, i := range f.Runtime.Zones[name].Interfaces {
				out = appendUnique(out, i)
			}
		}
	}
	for _, fam := range f.Families {
		for _, i := range f.Arrival.Interfaces[fam] {
			out = appendUnique(out, i)
		}
	}
	return out
}
