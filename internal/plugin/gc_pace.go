package plugin

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// Pacing once the heap stays large. With the collector off below
// gcMemoryLimit, a check whose live heap nears the limit collects on
// every few hundred KiB it allocates: at 10,000 fail2ban ban rules
// (firewalld's rules over D-Bus beside the kernel's ruleset, 20-27 MiB
// live) check_firewalld_mail ran 68 collections and took 2.1-2.5 s, 1.3 s
// with ordinary pacing. So after each collection the live heap is looked
// at: once it exceeds half the limit, the collector paces as Go's default
// does (a collection each time the heap doubles), under a higher ceiling
// that still bounds the check's memory.
const (
	largeLiveHeap   = gcMemoryLimit / 2
	largeHeapLimit  = 48 << 20
	largeHeapGCGoal = 100 // GOGC
)

// paceWhenLarge arms the look after the next collection.
func paceWhenLarge() {
	runtime.SetFinalizer(new(gcSentinel), afterCollection)
}

// gcSentinel is garbage from birth: its finalizer runs after the first
// collection that finds it. It holds a pointer so that it is not placed
// in a block shared with other tiny objects (whose finalizers may never
// run).
type gcSentinel struct{ _ *byte }

func afterCollection(*gcSentinel) {
	if liveHeap() > largeLiveHeap {
		debug.SetMemoryLimit(largeHeapLimit)
		debug.SetGCPercent(largeHeapGCGoal)
		return
	}
	paceWhenLarge()
}

// liveHeap is the heap the last collection found reachable.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
