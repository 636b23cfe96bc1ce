package firewalld

import (
	"os"
	"testing"
)

// FuzzParseListAll: firewall-cmd --list-all output, seeded with the real
// captures in testdata.
func FuzzParseListAll(f *testing.F) {
	for _, name := range []string{"testdata/list-all-runtime.txt", "testdata/list-all-work.txt"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseListAll(s)
	})
}
