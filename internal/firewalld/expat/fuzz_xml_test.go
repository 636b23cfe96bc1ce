package expat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusXML is every XML file of ../fwconfig/testdata/config, to seed the XML targets.
func corpusXML(f *testing.F) [][]byte {
	var out [][]byte
	err := filepath.WalkDir("../fwconfig/testdata/config", func(path string, e os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".xml") {
			b, err := os.ReadFile(path)
			if err == nil {
				out = append(out, b)
			}
			return err
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
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
