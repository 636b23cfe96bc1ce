package expat

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nestedEntities declares a0 = base and a1…a(levels-1), each ten
// references to the one before: a(levels-1) is 10^(levels-1) expansions.
func nestedEntities(levels int, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!ENTITY a0 "%s">`, base)
	for k := 1; k < levels; k++ {
		fmt.Fprintf(&b, "\n<!ENTITY a%d \"%s\">", k, strings.Repeat(fmt.Sprintf("&a%d;", k-1), 10))
	}
	return b.String()
}

// amplificationCases are documents around expat's billion-laughs limit
// (xmlread_amplify.go), judged by TestParseConfigXMLAgreesWithExpat
// against Python's expat as firewalld's are.
func amplificationCases() []xmlCase {
	empty := func(levels int, body string) []byte {
		return []byte("<!DOCTYPE zone [" + nestedEntities(levels, "") + "]>" + body)
	}
	last := func(levels int) string { return fmt.Sprintf("&a%d;", levels-1) }
	// 8 levels: 40 bytes of references per expansion, 1,111,111 of them
	// (44 MB): past the threshold, and more than 100 times a small file,
	// but less than 100 times 600 kB of comment read before the reference.
	padding := "<!--" + strings.Repeat("p", 600<<10) + "-->"
	pe := `<!DOCTYPE zone [<!ENTITY % p0 "">`
	for k := 1; k < 10; k++ {
		pe += fmt.Sprintf("\n<!ENTITY %% p%d \"%s\">", k, strings.Repeat(fmt.Sprintf("&#37;p%d;", k-1), 10))
	}
	pe += "\n%p9;]>" + okZone
	return []xmlCase{
		{"empty entities nested 10 deep in content", empty(10, "<zone><short>"+last(10)+"</short>"+`<service name="imaps"/></zone>`), ""},
		{"empty entities nested 10 deep in an attribute", empty(10, `<zone version="`+last(10)+`"><service name="imaps"/></zone>`), ""},
		{"empty entities nested 7 deep (4 MB of references)", empty(7, "<zone>"+last(7)+`<service name="imaps"/></zone>`), "imaps"},
		{"empty entities nested 8 deep", empty(8, "<zone>"+last(8)+`<service name="imaps"/></zone>`), ""},
		{"empty entities nested 8 deep after 600 kB of comment", empty(8, "<zone>"+padding+last(8)+`<service name="imaps"/></zone>`), "imaps"},
		{"empty entities nested 8 deep before 600 kB of comment", empty(8, "<zone>"+last(8)+padding+`<service name="imaps"/></zone>`), ""},
		{"billion laughs in an attribute", []byte("<!DOCTYPE zone [" + nestedEntities(10, "lol") + `]><zone version="` + last(10) + `"><service name="imaps"/></zone>`), ""},
		{"parameter entities nested 10 deep", []byte(pe), ""},
	}
}

func init() { xmlCases = append(xmlCases, amplificationCases()...) }

// TestEntityAmplificationRefusedQuickly: expat refuses a 655-byte zone
// whose entities expand to nothing through ten levels (ten billion
// references) in about a second; so must the reader, with expat's reason:
// in under a second of CPU (the machine may be shared: wall time is
// bounded loosely), where it used to run until the check's watchdog.
func TestEntityAmplificationRefusedQuickly(t *testing.T) {
	for _, c := range amplificationCases() {
		if c.want != "" {
			continue
		}
		start, cpu := time.Now(), cpuTime(t)
		_, err := parseConfigXML("/etc/firewalld/zones/public.xml", c.data)
		took, used := time.Since(start), cpuTime(t)-cpu
		if err == nil || !strings.Contains(err.Error(), "limit on input amplification factor") {
			t.Errorf("%s: %v, want expat's amplification limit", c.name, err)
		}
		t.Logf("%s: refused after %v (%v of CPU)", c.name, took.Round(time.Millisecond), used.Round(time.Millisecond))
		if used > time.Second || took > 10*time.Second {
			t.Errorf("%s: refused after %v, %v of CPU", c.name, took, used)
		}
	}
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
