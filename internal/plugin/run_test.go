package plugin

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

type fakeCLI struct {
	CommonFlags `embed:""`
	Host        string `short:"H" required:"" help:"a host"`
	result      Result
	sleep       time.Duration
	panicWith   any
}

func (f *fakeCLI) Check(ctx context.Context) Result {
	if f.panicWith != nil {
		panic(f.panicWith)
	}
	if f.sleep > 0 {
		time.Sleep(f.sleep) // deliberately ignores ctx: the watchdog must still fire
	}
	return f.result
}

var info = Info{Name: "check_fake", Description: "a fake"}

func run(t *testing.T, cli *fakeCLI, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := Run(info, cli, args, &out)
	return code, out.String()
}

func TestBadFlagIsUnknownNotKongExit(t *testing.T) {
	code, out := run(t, &fakeCLI{}, "--no-such-flag")
	if code != 3 || !strings.HasPrefix(out, "UNKNOWN: bad arguments: ") {
		t.Fatalf("code %d, output %q", code, out)
	}
	if strings.Count(out, "|") != 1 {
		t.Fatalf("want only the perfdata pipe: %q", out)
	}
}

func TestMissingRequiredFlag(t *testing.T) {
	code, out := run(t, &fakeCLI{})
	if code != 3 || !strings.Contains(out, "--host") {
		t.Fatalf("code %d, output %q", code, out)
	}
}

func TestHelpAndVersionExitZero(t *testing.T) {
	code, out := run(t, &fakeCLI{}, "--help")
	if code != 0 || !strings.Contains(out, "--timeout") || !strings.Contains(out, "--host") {
		t.Fatalf("help: code %d, output %q", code, out)
	}
	code, out = run(t, &fakeCLI{}, "-V")
	if code != 0 || !strings.Contains(out, "check_fake "+Version) {
		t.Fatalf("version: code %d, output %q", code, out)
	}
}

func TestTimeoutFlagForms(t *testing.T) {
	for arg, want := range map[string]time.Duration{"7": 7 * time.Second, "7s": 7 * time.Second, "1500ms": 1500 * time.Millisecond, "2.5": 2500 * time.Millisecond} {
		cli := &fakeCLI{result: okResult()}
		if code, out := run(t, cli, "-H", "x", "-t", arg); code != 0 || cli.Timeout.Duration() != want {
			t.Errorf("-t %s: code %d timeout %v output %q", arg, code, cli.Timeout.Duration(), out)
		}
	}
	for _, bad := range []string{"0", "-1", "ten"} {
		if code, _ := run(t, &fakeCLI{}, "-H", "x", "-t", bad); code != 3 {
			t.Errorf("-t %s accepted", bad)
		}
	}
}

func okResult() Result {
	var r Result
	r.Summary = "all good"
	r.Add(OK, "fine", "")
	r.Count("things", 1, "", "")
	return r
}

func TestWorstStateWinsAndAllFindingsListed(t *testing.T) {
	var r Result
	r.Summary = "mixed"
	r.Add(Warning, "a warning", "do w")
	r.Add(Critical, "a critical", "do c")
	r.Add(Unknown, "an unknown", "")
	r.Add(OK, "an ok", "")
	code, out := run(t, &fakeCLI{result: r}, "-H", "x")
	if code != 2 {
		t.Fatalf("code %d", code)
	}
	lines := strings.Split(out, "\n")
	if strings.TrimSpace(lines[0]) != "CRITICAL: mixed" {
		t.Fatalf("first line %q", lines[0])
	}
	iC, iU, iW := strings.Index(out, "a critical"), strings.Index(out, "an unknown"), strings.Index(out, "a warning")
	if !(iC < iU && iU < iW) || !strings.Contains(out, "[CRITICAL] a critical\n"+FixIndent+"Fix: do c\n") || !strings.Contains(out, "an ok") {
		t.Fatalf("findings not worst-first or incomplete:\n%s", out)
	}
}

func TestNoFindingsIsNeverOK(t *testing.T) {
	code, out := run(t, &fakeCLI{result: Result{Summary: "nothing"}}, "-H", "x")
	if code != 3 {
		t.Fatalf("empty result gave code %d: %q", code, out)
	}
}

func TestServerTextCannotBreakOutput(t *testing.T) {
	var r Result
	r.Summary = "greeting * OK | evil=1;;;;\nsecond line"
	r.Add(Critical, "line with | pipe\r\nand newline", "")
	r.Count("it's=bad", 3, "", "")
	_, out := run(t, &fakeCLI{result: r}, "-H", "x")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if strings.Contains(lines[0], "|") || !strings.Contains(lines[0], "second") {
		t.Fatalf("first line not sanitised: %q", lines[0])
	}
	if strings.Count(out, "|") != 1 {
		t.Fatalf("want exactly one perfdata pipe, got:\n%s", out)
	}
	if !strings.Contains(out, "'it_s_bad'=3;;;0;") {
		t.Fatalf("perfdata label not sanitised:\n%s", out)
	}
}

func TestLongLinesAreCapped(t *testing.T) {
	var r Result
	r.Summary = strings.Repeat("A", 100000)
	r.Add(Critical, "x", "")
	_, out := run(t, &fakeCLI{result: r}, "-H", "x")
	if first := strings.SplitN(out, "\n", 2)[0]; len(first) > 2*maxLineRunes {
		t.Fatalf("first line is %d bytes", len(first))
	}
}

func TestWatchdogFiresAtTimeout(t *testing.T) {
	start := time.Now()
	code, out := run(t, &fakeCLI{result: okResult(), sleep: 5 * time.Second}, "-H", "x", "-t", "300ms")
	if code != 3 || !strings.Contains(out, "timed out after 300ms") {
		t.Fatalf("code %d output %q", code, out)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("watchdog took %v", elapsed)
	}
}

func TestPanicBecomesCritical(t *testing.T) {
	code, out := run(t, &fakeCLI{panicWith: "boom"}, "-H", "x")
	if code != 2 || !strings.Contains(out, "boom") {
		t.Fatalf("code %d output %q", code, out)
	}
}

func TestVerboseShowsDebug(t *testing.T) {
	r := okResult()
	r.Debugf("raw reply %d", 42)
	_, quiet := run(t, &fakeCLI{result: r}, "-H", "x")
	_, loud := run(t, &fakeCLI{result: r}, "-H", "x", "-v")
	if strings.Contains(quiet, "raw reply") || !strings.Contains(loud, "debug: raw reply 42") {
		t.Fatalf("quiet %q loud %q", quiet, loud)
	}
}

// TestLongOutputLayout: a fix sits on its own indented line right under its
// finding; an OK finding never carries one (e.g. a problem demoted to OK by
// --unlisted=ok); no line of the output ends with a space (go-nagios ends
// its lines with " \n").
func TestLongOutputLayout(t *testing.T) {
	var r Result
	r.Summary = "one bad"
	r.Add(Critical, "port closed", "firewall-cmd --reload")
	r.Add(OK, "unlisted port demoted", "firewall-cmd --remove-port=1/tcp")
	r.Add(Warning, "trailing space in a server string ", "")
	r.Detailf("detail ")
	r.Metric(Metric{Label: "time", Value: 1, UOM: "s"})
	_, out := run(t, &fakeCLI{result: r}, "-H", "x")
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t") {
			t.Errorf("line %d ends with a space: %q", i+1, l)
		}
	}
	want := "[CRITICAL] port closed\n" + FixIndent + "Fix: firewall-cmd --reload\n[WARNING] trailing space in a server string\n[OK] unlisted port demoted\n"
	if !strings.Contains(out, want) {
		t.Errorf("long output layout: want\n%s\nin\n%s", want, out)
	}
	if strings.Contains(out, "remove-port") {
		t.Errorf("an OK finding carries a fix:\n%s", out)
	}
	if !strings.Contains(out, "| 'time'=1s") {
		t.Errorf("perfdata lost:\n%s", out)
	}
}

// TestTrimTrailingSpaceAcrossWrites: spaces split from their newline by a
// write boundary are still dropped, and inner spaces survive.
func TestTrimTrailingSpaceAcrossWrites(t *testing.T) {
	var b strings.Builder
	w := &trimTrailingSpace{w: &b}
	for _, part := range []string{"a b ", " ", "\n", "  c", " d  ", "\n", "e   "} {
		if n, err := w.Write([]byte(part)); err != nil || n != len(part) {
			t.Fatalf("Write(%q) = %d, %v", part, n, err)
		}
	}
	if got, want := b.String(), "a b\n  c d\ne"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestAddLeading: a finding that decides the state leads the summary; one
// that does not (a CRITICAL is already there) leaves it alone.
func TestAddLeading(t *testing.T) {
	var r Result
	r.Add(OK, "imaps open", "")
	r.Summary = "all open"
	r.AddLeading(Unknown, "kernel not read", "run as root")
	if r.State() != Unknown || r.Summary != "kernel not read; all open" {
		t.Errorf("state %v, summary %q", r.State(), r.Summary)
	}
	r.Add(Critical, "imaps closed", "")
	r.Summary = "imaps closed"
	r.AddLeading(Unknown, "kernel not read", "")
	if r.State() != Critical || r.Summary != "imaps closed" {
		t.Errorf("state %v, summary %q", r.State(), r.Summary)
	}
}
