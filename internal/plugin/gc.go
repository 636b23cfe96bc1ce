package plugin

import (
	"os"
	"runtime/debug"
)

// gcMemoryLimit is the heap size at which the collector comes back on.
const gcMemoryLimit = 24 << 20

// collectOnlyPastLimit turns the garbage collector off for the check's short
// life: a check runs for milliseconds, its inputs are capped (files, replies,
// output), and collecting mostly frees what the exit would free anyway
// (measured on a stock firewalld tree: user time 13-15 ms with the default
// GOGC, 10-12 ms without, peak RSS +0.5 MiB). The memory limit turns
// the collector back on should a check ever grow its heap past 24 MiB: with
// it at 64 MiB, reading the largest reply a fail2ban peer may send left
// every outgrown buffer in memory and the check past 64 MiB of RSS. An
// operator's own GOGC or GOMEMLIMIT is left as it is.
func collectOnlyPastLimit() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(gcMemoryLimit)
	debug.SetGCPercent(-1)
	paceWhenLarge() // gc_pace.go
}
