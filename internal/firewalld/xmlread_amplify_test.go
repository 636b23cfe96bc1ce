package firewalld

import (
	"fmt"
	"strings"
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
// references) in about a second; so must the reader, with expat's reason.
func TestEntityAmplificationRefusedQuickly(t *testing.T) {
	for _, c := range amplificationCases() {
		if c.want != "" {
			continue
		}
		start := time.Now()
		_, err := parseConfigXML("/etc/firewalld/zones/public.xml", c.data)
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "limit on input amplification factor") {
			t.Errorf("%s: %v, want expat's amplification limit", c.name, err)
		}
		if took > time.Second {
			t.Errorf("%s: refused after %v", c.name, took)
		}
	}
}
