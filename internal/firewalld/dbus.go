package firewalld

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
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
	// Remote, when set, reaches the mail host's bus over SSH instead of
	// Address (see dbus_ssh.go).
	Remote *RemoteBus
	conn   *dbus.Conn
	// pending are the calls sent ahead (dbus_prefetch.go).
	pendingMu sync.Mutex
	pending   map[string]*pendingCall
}

// Connect opens a private connection to the bus.
func (s *DBusSource) Connect(ctx context.Context) error {
	if s.Remote != nil {
		return s.connectRemote(ctx)
	}
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
	err := s.answer(ctx, obj, iface+"."+method, args...).Store(out)
	if err != nil && ctx.Err() != nil {
		// The connection was made WithContext: at the deadline godbus
		// closes it, and the pending call may fail with "use of closed
		// network connection" before it sees the deadline itself.
		return fmt.Errorf("D-Bus %s: no answer from firewalld: %w", method, plugin.ErrTimeout)
	}
	var de dbus.Error
	if errors.As(err, &de) && de.Name == "org.freedesktop.DBus.Error.NoReply" && !s.nameHasOwner(ctx) {
		// firewalld left the bus with our call pending (killed, crashed
		// mid-call): the bus has released its name by the time it says
		// NoReply, and the next check would find it not running.
		return ErrNotRunning
	}
	return classify(method, err)
}

// nameHasOwner asks the bus whether firewalld's name is owned; true when
// the bus does not say.
func (s *DBusSource) nameHasOwner(ctx context.Context) bool {
	owned := true
	if err := s.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, busName).Store(&owned); err != nil {
		return true
	}
	return owned
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
			return fmt.Errorf("%w: firewalld says %s", fwconfig.ErrNoSuchZone, msg)
		}
		return fmt.Errorf("D-Bus %s: %s", method, msg)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("D-Bus %s: no answer from firewalld: timed out", method)
	}
	return fmt.Errorf("D-Bus %s: %v", method, err)
}

// ifaceIPSet is firewalld's runtime ipset interface.
const ifaceIPSet = "org.fedoraproject.FirewallD1.ipset"

// runtimeRuleset reads the runtime view in few calls: getDefaultZone,
// getActiveZones (every zone with bindings), one getZoneSettings2 for each
// zone that traffic can land in (bound, default, or named by --zone:
// unbound zones catch nothing), one getIPSetSettings per ipset they use.
// Service definitions are fetched on first use, most checks are decided
// by service name alone.
func (s *DBusSource) runtimeRuleset(ctx context.Context, explicit string) (*ruleset.Ruleset, error) {
	rs := &ruleset.Ruleset{Source: "D-Bus", Zones: map[string]*ruleset.Zone{}, Services: map[string]ruleset.Service{}, IPSets: map[string]*ruleset.IPSet{}}
	// Sent together; the zones' and policies' settings as soon as their
	// names are known (dbus_prefetch.go). NetworkManager's presence on the
	// bus is asked of the bus itself (networkManager).
	obj := s.conn.Object(busName, objectPath)
	s.askAhead(ctx, obj, ifaceMain+".getDefaultZone")
	s.askAhead(ctx, obj, ifaceZone+".getActiveZones")
	s.askAhead(ctx, obj, ifacePolicy+".getActivePolicies")
	s.askAhead(ctx, s.conn.BusObject(), "org.freedesktop.DBus.NameHasOwner", nmBusName)
	if err := s.call(ctx, ifaceMain, "getDefaultZone", &rs.DefaultZone); err != nil {
		return nil, err
	}
	var active map[string]map[string][]string
	if err := s.call(ctx, ifaceZone, "getActiveZones", &active); err != nil {
		return nil, err
	}
	names := []string{rs.DefaultZone}
	for n := range active {
		names = appendUnique(names, n)
	}
	if explicit != "" {
		names = appendUnique(names, explicit)
	}
	s.askZonesAhead(ctx, names)
	for _, name := range names {
		z, err := s.zone(ctx, name)
		if err != nil {
			if name == explicit && errors.Is(err, fwconfig.ErrNoSuchZone) {
				continue // judged as missing, next to the permanent view
			}
			return nil, err
		}
		rs.Zones[name] = z
	}
	s.askServicesAhead(ctx, rs, explicit) // the zones' services, while the policies are read
	for _, name := range referencedIPSets(rs) {
		rs.IPSets[name] = s.ipset(ctx, name)
	}
	var err error
	if rs.Policies, err = s.runtimePolicies(ctx); err != nil {
		return nil, err
	}
	s.askServicesAhead(ctx, rs, explicit) // fetched by the definitions step (prefetchServices)
	return rs, nil
}

// zone reads one zone's runtime settings (getZoneSettings2's dict, as
// zone.py export_config_dict builds it).
func (s *DBusSource) zone(ctx context.Context, name string) (*ruleset.Zone, error) {
	var settings map[string]dbus.Variant
	if err := s.call(ctx, ifaceZone, "getZoneSettings2", &settings, name); err != nil {
		return nil, err
	}
	return zoneFromSettings(name, settings, "rules_str")
}

// zoneFromSettings decodes a zone's or policy's settings dict; rulesKey is
// where its rich rules are ("rules_str" for zones, "rich_rules" for
// policies).
func zoneFromSettings(name string, settings map[string]dbus.Variant, rulesKey string) (*ruleset.Zone, error) {
	z := &ruleset.Zone{Name: name, Target: "default"}
	strs := func(key string) []string {
		v, _ := settings[key].Value().([]string)
		return v
	}
	if v, ok := settings["target"]; ok {
		z.Target, _ = v.Value().(string)
	}
	if v, ok := settings["ingress_priority"].Value().(int32); ok { // 2.x only
		z.IngressPriority = int(v)
	}
	z.Services, z.Protocols = strs("services"), strs("protocols")
	z.Interfaces, z.Sources = strs("interfaces"), strs("sources")
	if v, ok := settings["ports"]; ok {
		z.Ports = variantPorts(v)
	}
	if v, ok := settings["source_ports"]; ok {
		z.SourcePorts = variantPorts(v)
	}
	if v, ok := settings["forward_ports"]; ok {
		z.ForwardPorts = variantForwardPorts(v)
	}
	texts := strs(rulesKey)
	if len(texts) > 0 {
		z.RichRules = make([]ruleset.RichRule, 0, len(texts))
	}
	for _, t := range texts {
		r, err := ruleset.ParseRichRule(t)
		if err != nil {
			return nil, fmt.Errorf("D-Bus settings of %s: %v", name, err)
		}
		z.RichRules = append(z.RichRules, r)
	}
	return z, nil
}

// ipset reads an ipset's type, family and entries; nil when firewalld
// does not say.
func (s *DBusSource) ipset(ctx context.Context, name string) *ruleset.IPSet {
	var settings struct {
		Version, Short, Description, Type string
		Options                           map[string]string
		Entries                           []string
	}
	obj := s.conn.Object(busName, objectPath)
	call := obj.CallWithContext(ctx, ifaceIPSet+".getIPSetSettings", 0, name)
	if call.Err != nil {
		return nil
	}
	if err := call.Store(&settings); err != nil {
		return nil
	}
	set := &ruleset.IPSet{Name: name, Type: settings.Type, Family: ruleset.IPv4, Entries: settings.Entries}
	if settings.Options["family"] == "inet6" {
		set.Family = ruleset.IPv6
	}
	return set
}

// variantForwardPorts decodes an a(ssss) of (port, protocol, toport, toaddr).
func variantForwardPorts(v dbus.Variant) []ruleset.ForwardPort {
	var out []ruleset.ForwardPort
	switch raw := v.Value().(type) {
	case [][]any:
		for _, q := range raw {
			if len(q) == 4 {
				s := make([]string, 4)
				for i := range q {
					s[i], _ = q[i].(string)
				}
				out = append(out, ruleset.ForwardPort{Port: ruleset.Port{Port: s[0], Protocol: s[1]}, ToPort: s[2], ToAddr: s[3]})
			}
		}
	case [][]string:
		for _, q := range raw {
			if len(q) == 4 {
				out = append(out, ruleset.ForwardPort{Port: ruleset.Port{Port: q[0], Protocol: q[1]}, ToPort: q[2], ToAddr: q[3]})
			}
		}
	}
	return out
}

// serviceLookup is the lookup of runtime service definitions the
// definitions step passes to BuildRequirements and prefetchServices: a
// round trip to firewalld each (answered from what askServicesAhead asked).
func (s *DBusSource) serviceLookup(ctx context.Context) ruleset.ServiceLookup {
	return func(name string) (ruleset.Service, error) { return s.serviceDef(ctx, name, map[string]bool{}) }
}

// serviceDef fetches a runtime service definition (which may differ from the
// file if it was edited without a reload) and follows its includes.
func (s *DBusSource) serviceDef(ctx context.Context, name string, seen map[string]bool) (ruleset.Service, error) {
	if seen[name] {
		return ruleset.Service{Name: name}, nil
	}
	seen[name] = true
	var def map[string]dbus.Variant
	if err := s.call(ctx, ifaceMain, "getServiceSettings2", &def, name); err != nil {
		return ruleset.Service{}, fmt.Errorf("service %q: %w", name, err)
	}
	svc := ruleset.Service{Name: name}
	if v, ok := def["ports"]; ok {
		svc.Ports = variantPorts(v)
	}
	if v, ok := def["protocols"]; ok {
		svc.Protocols, _ = v.Value().([]string)
	}
	if v, ok := def["includes"]; ok {
		svc.Includes, _ = v.Value().([]string)
	}
	for _, inc := range svc.Includes {
		if included, err := s.serviceDef(ctx, inc, seen); err == nil {
			svc.Ports = ruleset.AppendMissing(svc.Ports, included.Ports...)
		}
	}
	return svc, nil
}

// variantPorts decodes an a(ss) of (port, protocol).
func variantPorts(v dbus.Variant) []ruleset.Port {
	var ports []ruleset.Port
	switch raw := v.Value().(type) {
	case [][]any:
		for _, pair := range raw {
			if len(pair) == 2 {
				p, _ := pair[0].(string)
				proto, _ := pair[1].(string)
				ports = append(ports, ruleset.Port{Port: p, Protocol: proto})
			}
		}
	case [][]string:
		for _, pair := range raw {
			if len(pair) == 2 {
				ports = append(ports, ruleset.Port{Port: pair[0], Protocol: pair[1]})
			}
		}
	}
	return ports
}
