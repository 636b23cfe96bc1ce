package main

import (
	"fmt"
	"os/exec"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// peakRSS runs command (split on spaces, as hyperfine -N does) rssRuns
// times and returns the largest ru_maxrss that wait4 reported: the peak of
// the process or of its largest waited-for descendant (a script's python).
//
// The command is started by sandbox.RunMeasured, from a process the system
// Python forks, not by this process: Go starts children with a vfork-style
// clone that shares this process's memory until exec, and Linux carries
// that high-water mark across exec into the child's ru_maxrss, so every
// command measured directly from here reported at least the benchmark's
// own peak (the 12.4 MiB rows of check_imap, check_ssl_cert and ours).
func peakRSS(command string, env []string) (int64, error) {
	argv := strings.Fields(command)
	if len(argv) == 0 {
		return 0, fmt.Errorf("empty command")
	}
	bin, err := exec.LookPath(argv[0]) // hyperfine -N searches PATH too; execv does not
	if err != nil {
		return 0, err
	}
	var peak int64
	for i := 0; i < rssRuns; i++ {
		m, err := sandbox.RunMeasured(env, bin, argv[1:]...)
		if err != nil { // a plugin's exit code is its state: only a missing measurement fails
			return 0, fmt.Errorf("%s: %w", argv[0], err)
		}
		peak = max(peak, m.PeakRSS)
	}
	return peak, nil
}
