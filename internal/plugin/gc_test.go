package plugin

import (
	"runtime/debug"
	"testing"
)

func TestCollectOnlyPastLimit(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	debug.SetGCPercent(100)
	collectOnlyPastLimit()
	if prev := debug.SetGCPercent(100); prev != -1 {
		t.Errorf("GC percent %d, want off", prev)
	}
	if limit := debug.SetMemoryLimit(-1); limit != gcMemoryLimit {
		t.Errorf("memory limit %d, want %d", limit, gcMemoryLimit)
	}

	// an operator's own setting wins
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(100)
	collectOnlyPastLimit()
	if prev := debug.SetGCPercent(100); prev != 100 {
		t.Errorf("GC percent %d with GOGC set, want it untouched", prev)
	}
}
