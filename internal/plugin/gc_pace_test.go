package plugin

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestPaceWhenLarge: with the collector off below the limit, a small live
// heap leaves it off after a collection; a live heap over half the limit
// turns ordinary pacing on, under the higher ceiling.
func TestPaceWhenLarge(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")

	percent := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	collectOnlyPastLimit()
	runtime.GC()
	runtime.GC() // the finalizer of the first has run or is queued
	time.Sleep(50 * time.Millisecond)
	if p := percent(); p != -1 {
		t.Fatalf("GC percent %d after collecting a small heap, want still off", p)
	}

	live := make([][]byte, 0, 64)
	for range 64 {
		live = append(live, make([]byte, largeLiveHeap/32)) // twice the threshold
	}
	deadline := time.Now().Add(5 * time.Second)
	for percent() != largeHeapGCGoal && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(live)
	if p := percent(); p != largeHeapGCGoal {
		t.Fatalf("GC percent %d with %d MiB live, want %d", p, 2*largeLiveHeap>>20, largeHeapGCGoal)
	}
	if limit := debug.SetMemoryLimit(-1); limit != largeHeapLimit {
		t.Errorf("memory limit %d, want %d", limit, largeHeapLimit)
	}
}
