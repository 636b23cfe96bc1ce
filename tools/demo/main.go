// Command demo replays the incidents this suite exists for, against sandboxed
// real daemons, running the built plugins from bin/ and narrating each step.
// Run it with `make demo` (as root: the sandboxes use namespaces).
//
// Each incident lives in its own file and registers itself with addSection.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type section struct {
	order int
	title string
	run   func(d *demo) error
}

var sections []section

func addSection(order int, title string, run func(d *demo) error) {
	sections = append(sections, section{order, title, run})
}

// demo holds what the sections share: where the plugins are, a scratch dir.
type demo struct {
	bin  string
	work string
}

func main() {
	start := time.Now()
	root, _ := os.Getwd()
	work, err := os.MkdirTemp("", "mailchecks-demo-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(work)
	d := &demo{bin: filepath.Join(root, "bin"), work: work}
	sort.Slice(sections, func(i, j int) bool { return sections[i].order < sections[j].order })
	for _, s := range sections {
		fmt.Printf("\n\033[1m=== %s ===\033[0m\n", s.title)
		if err := s.run(d); err != nil {
			fail(fmt.Errorf("%s: %w", s.title, err))
		}
	}
	fmt.Printf("\ndemo finished in %.1fs\n", time.Since(start).Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "demo failed:", err)
	os.Exit(1)
}

// say narrates a step.
func (d *demo) say(format string, args ...any) {
	fmt.Printf("\n\033[36m# "+format+"\033[0m\n", args...)
}

// plugin runs a built plugin, prints its command line and output, and returns
// its exit code.
func (d *demo) plugin(env []string, name string, args ...string) int {
	fmt.Printf("$ %s %s\n", name, strings.Join(args, " "))
	cmd := exec.Command(filepath.Join(d.bin, name), args...)
	cmd.Env = append(os.Environ(), env...)
	out, _ := cmd.CombinedOutput()
	fmt.Print(indent(string(out)))
	code := cmd.ProcessState.ExitCode()
	fmt.Printf("  (exit %d)\n", code)
	return code
}

// expect runs a plugin and fails the demo if the state is not the expected one,
// so a broken demo cannot narrate a story the plugins no longer tell.
func (d *demo) expect(want int, env []string, name string, args ...string) error {
	if got := d.plugin(env, name, args...); got != want {
		return fmt.Errorf("%s exited %d, the story needs %d", name, got, want)
	}
	return nil
}

// shell runs an operator command (firewall-cmd, fail2ban-client) and shows it.
func (d *demo) shell(env []string, argv ...string) error {
	fmt.Printf("$ %s\n", strings.Join(argv, " "))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	fmt.Print(indent(string(out)))
	return err
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}
