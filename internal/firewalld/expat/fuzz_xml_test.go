package expat

import (
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// corpusXML is every XML file of ../fwconfig/testdata/config, to seed the XML targets.
func corpusXML(f *testing.F) [][]byte {
	out := sandbox.FilesUnder(f, "../fwconfig/testdata/config", ".xml")
	for _, c := range xmlCases {
		out = append(out, c.data)
	}
	return out
}

// FuzzParseConfigXML: every input ends in a root element or an error that
// names the file on one line; nothing panics or runs away.
func FuzzParseConfigXML(f *testing.F) {
	for _, b := range corpusXML(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := parseConfigXML("/etc/firewalld/zones/f.xml", data)
		if err != nil {
			if root != nil || !strings.HasPrefix(err.Error(), "/etc/firewalld/zones/f.xml: ") {
				t.Fatalf("root %v, error %q", root, err)
			}
			return
		}
		if root == nil || root.Tag == "" {
			t.Fatalf("no error and no root")
		}
	})
}
