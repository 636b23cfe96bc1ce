package firewalld

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/godbus/dbus/v5"
)

const (
	busName    = "org.fedoraproject.FirewallD1"
	objectPath = "/org/fedoraproject/FirewallD1"
	ifaceMain  = "org.fedoraproject.FirewallD1"
	ifaceZone  = "org.fedoraproject.FirewallD1.zone"
)

// Sentinel errors of the runtime sources. evaluate maps ErrNotRunning to
// CRITICAL (a stopped firewall is an outage) and the others to UNKNOWN.
var (
	ErrNotRunning   = errors.New("firewalld is not running")
	ErrAccessDenied = errors.New("access denied")
	ErrNoBus        = errors.New("cannot reach the D-Bus system bus")
)

// SystemBusAddress is $DBUS_SYSTEM_BUS_ADDRESS, else the well-known socket.
func SystemBusAddress() string {
	if a := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
		return a
	}
	return "unix:path=/var/run/dbus/system_bus_socket"
}

// DBusSource reads firewalld's runtime configuration over D-Bus.
type DBusSource struct {
	Address string
	conn    *dbus.Conn
}

// Connect opens a private connection to the bus.
func (s *DBusSource) Connect(ctx context.Context) error {
	conn, err := dbus.Connect(s.Address, dbus.WithContext(ctx))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return fmt.Errorf("%w at %s: timed out", ErrNoBus, s.Address)
		}
		return fmt.Errorf("%w at %s: %v", ErrNoBus, s.Address, err)
	}
	s.conn = conn
	return nil
}

// Close ends the connection.
func (s *DBusSource) Close() {
	if s.conn != nil {
		s.conn.Close()
	}
}

func (s *DBusSource) call(ctx context.Context, iface, method string, out any, args ...any) error {
	obj := s.conn.Object(busName, objectPath)
	err := obj.CallWithContext(ctx, iface+"."+method, 0, args...).Store(out)
	return classify(method, err)
}

// classify turns D-Bus error names into this package's sentinels.
func classify(method string, err error) error {
	if err == nil {
		return nil
	}
	var de dbus.Error
	if errors.As(err, &de) {
		msg := de.Name
		if len(de.Body) > 0 {
			msg = fmt.Sprint(de.Body[0])
		}
		switch {
		case de.Name == "org.freedesktop.DBus.Error.ServiceUnknown",
			de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner":
			return ErrNotRunning
		case de.Name == "org.freedesktop.DBus.Error.AccessDenied",
			strings.HasSuffix(de.Name, "NotAuthorizedException"):
			return fmt.Errorf("D-Bus %s: %w: %s", method, ErrAccessDenied, msg)
		case strings.Contains(msg, "INVALID_ZONE"):
			return fmt.Errorf("%w: firewalld says %s", ErrNoSuchZone, msg)
		}
		return fmt.Errorf("D-Bus %s: %s", method, msg)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("D-Bus %s: no answer from firewalld: timed out", method)
	}
	return fmt.Errorf("D-Bus %s: %v", method, err)
}

// DefaultZone asks firewalld for its default zone.
func (s *DBusSource) DefaultZone(ctx context.Context) (string, error) {
	var zone string
	err := s.call(ctx, ifaceMain, "getDefaultZone", &zone)
	return zone, err
}

// RuntimeView reads the zone's runtime settings and the runtime definitions
// of every service it uses (which may differ from the files if a service file
// was edited without a reload).
func (s *DBusSource) RuntimeView(ctx context.Context, zone string) (*View, error) {
	var settings map[string]dbus.Variant
	if err := s.call(ctx, ifaceZone, "getZoneSettings2", &settings, zone); err != nil {
		return nil, err
	}
	z := Zone{Name: zone, Target: "default"}
	if v, ok := settings["target"]; ok {
		z.Target, _ = v.Value().(string)
	}
	if v, ok := settings["services"]; ok {
		z.Services, _ = v.Value().([]string)
	}
	if v, ok := settings["ports"]; ok {
		z.Ports = variantPorts(v)
	}
	if v, ok := settings["rules_str"]; ok {
		texts, _ := v.Value().([]string)
		for _, t := range texts {
			r, err := ParseRichRule(t)
			if err != nil {
				return nil, fmt.Errorf("D-Bus getZoneSettings2: %v", err)
			}
			z.RichRules = append(z.RichRules, r)
		}
	}
	view := &View{Source: "D-Bus", Zone: z, Services: map[string]Service{}}
	view.resolve = func(name string) (Service, error) { return s.serviceDef(ctx, name, map[string]bool{}) }
	return view, nil
}

// serviceDef fetches a runtime service definition (which may differ from the
// file if it was edited without a reload) and follows its includes.
func (s *DBusSource) serviceDef(ctx context.Context, name string, seen map[string]bool) (Service, error) {
	if seen[name] {
		return Service{Name: name}, nil
	}
	seen[name] = true
	var def map[string]dbus.Variant
	if err := s.call(ctx, ifaceMain, "getServiceSettings2", &def, name); err != nil {
		return Service{}, fmt.Errorf("service %q: %w", name, err)
	}
	svc := Service{Name: name}
	if v, ok := def["ports"]; ok {
		svc.Ports = variantPorts(v)
	}
	if v, ok := def["includes"]; ok {
		svc.Includes, _ = v.Value().([]string)
	}
	for _, inc := range svc.Includes {
		if included, err := s.serviceDef(ctx, inc, seen); err == nil {
			svc.Ports = appendMissing(svc.Ports, included.Ports...)
		}
	}
	return svc, nil
}

// variantPorts decodes an a(ss) of (port, protocol).
func variantPorts(v dbus.Variant) []Port {
	var ports []Port
	switch raw := v.Value().(type) {
	case [][]any:
		for _, pair := range raw {
			if len(pair) == 2 {
				p, _ := pair[0].(string)
				proto, _ := pair[1].(string)
				ports = append(ports, Port{Port: p, Protocol: proto})
			}
		}
	case [][]string:
		for _, pair := range raw {
			if len(pair) == 2 {
				ports = append(ports, Port{Port: pair[0], Protocol: pair[1]})
			}
		}
	}
	return ports
}
