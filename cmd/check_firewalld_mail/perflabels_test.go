package main

import (
	"os/exec"
	"slices"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestPerfLabelsOnUnknown: the binary prints every perfdata label, both
// families' included, when the check could not run ("U": not measured),
// parsed as Icinga 2 parses them (issue 16).
func TestPerfLabelsOnUnknown(t *testing.T) {
	bin := sandbox.BuildBinary(t, t.TempDir())
	out, _ := exec.Command(bin, "--no-such-flag").CombinedOutput()
	var labels []string
	for _, p := range sandbox.IcingaPerfdata(string(out)) {
		labels = append(labels, p.Label)
	}
	slices.Sort(labels)
	want := []string{"drift", "missing", "open_permanent", "open_runtime", "open_runtime_ipv4", "open_runtime_ipv6", "required", "time"}
	if !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v:\n%s", labels, want, out)
	}
}
