package firewalld

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
)

// Asking ahead. firewalld answers one call at a time, each after its own
// authorization round trips to the bus (polkit, or the caller's uid): a
// check that waits for each answer before it sends the next question pays
// the whole round trip per call (17 on a healthy host: default zone,
// active zones, the zone, the policies, every service the zone names).
// Questions whose asking does not depend on an earlier answer are sent
// together (godbus pipelines them on the one connection), and the
// services are asked for as soon as the zones are known, so that firewalld
// answers them while the permanent config is validated. The code that
// uses an answer still asks for it where it did (DBusSource.call): it
// then waits for the answer already on its way instead of asking again.

// pendingCall is a call sent ahead; ready is closed once it is answered.
type pendingCall struct {
	ready chan struct{}
	call  *dbus.Call
}

// askAhead sends a call now, unless the same call was already sent.
func (s *DBusSource) askAhead(ctx context.Context, obj dbus.BusObject, method string, args ...any) {
	key := callKey(obj, method, args)
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	if s.pending == nil {
		s.pending = map[string]*pendingCall{}
	}
	if _, ok := s.pending[key]; ok {
		return
	}
	p := &pendingCall{ready: make(chan struct{})}
	call := obj.GoWithContext(ctx, method, 0, make(chan *dbus.Call, 1), args...)
	go func() {
		p.call = <-call.Done // ends at the latest when ctx ends: godbus then fails the call
		close(p.ready)
	}()
	s.pending[key] = p
}

// answer is the answer to a call: the one asked ahead, or a call made now.
func (s *DBusSource) answer(ctx context.Context, obj dbus.BusObject, method string, args ...any) *dbus.Call {
	s.pendingMu.Lock()
	p, ok := s.pending[callKey(obj, method, args)]
	s.pendingMu.Unlock()
	if !ok {
		return obj.CallWithContext(ctx, method, 0, args...)
	}
	<-p.ready
	return p.call
}

func callKey(obj dbus.BusObject, method string, args []any) string {
	return fmt.Sprintf("%s %s %s %q", obj.Destination(), obj.Path(), method, args)
}

// askZonesAhead asks for the settings of every zone the runtime view will
// read, and of every active policy towards the host (runtimePolicies asks
// for them one by one).
func (s *DBusSource) askZonesAhead(ctx context.Context, zones []string) {
	obj := s.conn.Object(busName, objectPath)
	for _, name := range zones {
		s.askAhead(ctx, obj, ifaceZone+".getZoneSettings2", name)
	}
	var active map[string]map[string][]string
	if s.answer(ctx, obj, ifacePolicy+".getActivePolicies").Store(&active) != nil {
		return // runtimePolicies asks again and reports the error
	}
	for _, name := range sortedKeys(active) {
		if hasString(active[name]["egress_zones"], "HOST") {
			s.askAhead(ctx, obj, ifacePolicy+".getPolicySettings", name)
		}
	}
}

// askServicesAhead asks for the runtime definition of every service the
// evaluation will look up in the view (prefetchServices, after the
// permanent config is validated).
func (s *DBusSource) askServicesAhead(ctx context.Context, rs *ruleset.Ruleset, explicit string) {
	obj := s.conn.Object(busName, objectPath)
	for _, name := range servicesNamed(rs, explicit) {
		s.askAhead(ctx, obj, ifaceMain+".getServiceSettings2", name)
	}
}
