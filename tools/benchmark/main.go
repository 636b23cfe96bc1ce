// Command benchmark measures each plugin against its peers on the same
// sandboxed daemons, in one run, with hyperfine: each line is a ratio of
// medians. Run it with `make bench`; paste the table into the README.
//
// Each comparison lives in its own file and registers itself with addBench.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	rows []string
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
	fmt.Println("\n| comparison | ours (median) | peer (median) | ratio | goal |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, row := range r.rows {
		fmt.Println(row)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench failed:", err)
	os.Exit(1)
}

// Timing is hyperfine's verdict on one command.
type Timing struct {
	Command string
	Median  float64 // seconds
	MaxRSS  int64   // bytes, peak over the runs (0 if unknown)
}

// compare runs hyperfine on ours and peer in one invocation (same warm-up,
// same machine state), records a README row "peer/ours" and returns both.
// env is added to the environment of both commands.
func (r *runner) compare(label, goal string, env []string, runs int, ours, peer string) (Timing, Timing, error) {
	out := filepath.Join(r.work, "hyperfine.json")
	args := []string{"--warmup", "3", "--runs", fmt.Sprint(runs), "-N", "--export-json", out,
		"--ignore-failure", "-n", "ours", ours, "-n", "peer", peer}
	cmd := exec.Command("hyperfine", args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return Timing{}, Timing{}, fmt.Errorf("hyperfine: %w", err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return Timing{}, Timing{}, err
	}
	var parsed struct {
		Results []struct {
			Command string    `json:"command"`
			Median  float64   `json:"median"`
			Memory  []float64 `json:"memory_usage_byte"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &parsed); err != nil || len(parsed.Results) != 2 {
		return Timing{}, Timing{}, fmt.Errorf("hyperfine json: %v", err)
	}
	var t [2]Timing
	for i, res := range parsed.Results {
		t[i] = Timing{Command: res.Command, Median: res.Median}
		for _, m := range res.Memory {
			t[i].MaxRSS = max(t[i].MaxRSS, int64(m))
		}
	}
	ratio := t[1].Median / t[0].Median
	r.rows = append(r.rows, fmt.Sprintf("| %s | %s | %s | **%.1f×** faster | %s |",
		label, ms(t[0].Median), ms(t[1].Median), ratio, goal))
	return t[0], t[1], nil
}

func ms(s float64) string { return fmt.Sprintf("%.1f ms", s*1000) }

// note adds a free-form row (peak memory and the like).
func (r *runner) note(row string) { r.rows = append(r.rows, row) }
