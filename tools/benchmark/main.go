// Command benchmark measures each plugin against its peers on the same
// sandboxed daemons, in one run, with hyperfine: each line is a ratio of
// medians. Run it with `make bench`; paste the table into docs/benchmarks.md.
//
// Each comparison lives in its own file and registers itself with addBench.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

type bench struct {
	order int
	name  string
	run   func(b *runner) error
}

var benches []bench

func addBench(order int, name string, run func(b *runner) error) {
	benches = append(benches, bench{order, name, run})
}

type runner struct {
	bin  string
	work string
	rows []row
}

// row is one line of the report: a plugin against one peer, both timed by
// the same hyperfine invocation and measured for memory the same way.
type row struct {
	plugin, peer string
	ours, theirs Timing
	goal         string
}

func main() {
	root, _ := os.Getwd()
	work, err := os.MkdirTemp("", "mailchecks-bench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(work)
	r := &runner{bin: filepath.Join(root, "bin"), work: work}
	if only := os.Getenv("BENCH"); only != "" {
		fmt.Println("only benches matching", only)
	}
	sort.Slice(benches, func(i, j int) bool { return benches[i].order < benches[j].order })
	for _, b := range benches {
		if only := os.Getenv("BENCH"); only != "" && !strings.Contains(b.name, only) {
			continue
		}
		fmt.Printf("\n== %s ==\n", b.name)
		if err := b.run(r); err != nil {
			fail(fmt.Errorf("%s: %w", b.name, err))
		}
	}
	host, _ := os.Hostname()
	fmt.Printf("\n%s, %d CPUs, %s; medians over hyperfine runs (in rounds of %d alternating which command goes first), peak RSS of %d runs (wait4 rusage, forked from a small process: rss.go)\n\n",
		host, runtime.NumCPU(), runtime.Version(), roundRuns, rssRuns)
	fmt.Println("| plugin | peer | plugin median | peer median | ratio plugin/peer | plugin peak RSS | peer peak RSS | goal |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, w := range r.rows {
		ratio := w.ours.Median / w.theirs.Median
		speed := fmt.Sprintf("%.1f× faster", 1/ratio)
		if ratio > 1 {
			speed = fmt.Sprintf("%.1f× slower", ratio)
		}
		fmt.Printf("| %s | %s | %s | %s | **%.2f** (%s) | %s | %s | %s |\n", w.plugin, w.peer,
			ms(w.ours.Median), ms(w.theirs.Median), ratio, speed, mib(w.ours.MaxRSS), mib(w.theirs.MaxRSS), w.goal)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench failed:", err)
	os.Exit(1)
}

// Timing is one command's median wall time and peak memory.
type Timing struct {
	Command string
	Median  float64 // seconds, over every hyperfine run
	MaxRSS  int64   // bytes, the largest of rssRuns runs (wait4's ru_maxrss)
}

// rssRuns is how often each command runs for its peak RSS.
const rssRuns = 5

// roundRuns is the most runs of one command hyperfine makes in a row. A
// longer comparison is split into rounds that alternate which command goes
// first, and the medians are taken over the pooled times: the machine is
// shared, and a load spike during one command's block of runs would
// otherwise land on that command alone.
const roundRuns = 25

// compare runs hyperfine on ours and peer (same invocations, same warm-up,
// same machine state), measures the peak RSS of each, and adds a row. The
// label is "PLUGIN vs PEER". env is added to the environment of both.
func (r *runner) compare(label, goal string, env []string, runs int, ours, peer string) (Timing, Timing, error) {
	var times [2][]float64
	for done, round := 0, 0; done < runs; round++ {
		n := min(roundRuns, runs-done)
		order := [2]int{0, 1}
		if round%2 == 1 {
			order = [2]int{1, 0}
		}
		cmds := [2]string{ours, peer}
		got, err := r.hyperfine(env, n, cmds[order[0]], cmds[order[1]])
		if err != nil {
			return Timing{}, Timing{}, err
		}
		for i, which := range order {
			times[which] = append(times[which], got[i]...)
		}
		done += n
	}
	var t [2]Timing
	for i, cmd := range []string{ours, peer} {
		t[i] = Timing{Command: cmd, Median: median(times[i])}
		var err error
		if t[i].MaxRSS, err = peakRSS(cmd, env); err != nil {
			return Timing{}, Timing{}, err
		}
	}
	plugin, peerName, ok := strings.Cut(label, " vs ")
	if !ok {
		plugin, peerName = label, "?"
	}
	r.rows = append(r.rows, row{plugin: plugin, peer: peerName, ours: t[0], theirs: t[1], goal: goal})
	return t[0], t[1], nil
}

// hyperfine times two commands, runs each, and returns every run's time.
func (r *runner) hyperfine(env []string, runs int, first, second string) ([2][]float64, error) {
	var out [2][]float64
	path := filepath.Join(r.work, "hyperfine.json")
	args := []string{"--warmup", "3", "--runs", fmt.Sprint(runs), "-N", "--export-json", path,
		"--ignore-failure", first, second}
	cmd := exec.Command("hyperfine", args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return out, fmt.Errorf("hyperfine: %w", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return out, err
	}
	var parsed struct {
		Results []struct {
			Times []float64 `json:"times"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &parsed); err != nil || len(parsed.Results) != 2 {
		return out, fmt.Errorf("hyperfine json: %v", err)
	}
	return [2][]float64{parsed.Results[0].Times, parsed.Results[1].Times}, nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(s float64) string { return fmt.Sprintf("%.1f ms", s*1000) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
