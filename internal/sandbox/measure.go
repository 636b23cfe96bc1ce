package sandbox

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// forkAndMeasure runs a command from a freshly forked process and prints its
// peak RSS. Go starts children with a vfork-style clone, and Linux carries
// the parent's RSS high-water mark across exec into the child's ru_maxrss,
// so a test process holding big replies would be measured, not the check.
// A forked child starts at the forker's own resident pages instead, so the
// forker is kept small: Python without site imports (-I -S) is ~5 MiB, the
// floor of what a command can be measured at (ru_maxrss is a maximum, not a
// sum: anything larger is measured as itself).
const forkAndMeasure = `import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write("maxrss_kib=%d\n" % usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
`

// Measured is one run of a command under RunMeasured.
type Measured struct {
	Output  string // stdout
	Code    int    // exit code
	PeakRSS int64  // bytes, of the command alone
	Took    time.Duration
}

// RunMeasured runs bin with args (env added to this process's) and
// returns its output, exit code, wall time and peak RSS; the system
// Python forks it (see forkAndMeasure).
func RunMeasured(env []string, bin string, args ...string) (Measured, error) {
	cmd := exec.Command("/usr/bin/python3", append([]string{"-I", "-S", "-c", forkAndMeasure, bin}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	m := Measured{Output: stdout.String(), Code: cmd.ProcessState.ExitCode(), Took: time.Since(start)}
	var kib int64
	text := stderr.String()
	if _, scanErr := fmt.Sscanf(strings.TrimSpace(text[strings.LastIndex(text, "maxrss_kib="):]), "maxrss_kib=%d", &kib); scanErr != nil {
		return m, fmt.Errorf("no peak RSS from the fork helper (%v): %s", err, text)
	}
	m.PeakRSS = kib << 10
	return m, nil
}
