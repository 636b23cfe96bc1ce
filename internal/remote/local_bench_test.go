package remote

import (
	"context"
	"testing"
)

// BenchmarkLocalReadFilesStock reads what check_firewalld_mail reads of a
// stock firewalld install: every zone, service, ipset, policy, icmptype and
// helper file of /usr/lib/firewalld.
func BenchmarkLocalReadFilesStock(b *testing.B) {
	var patterns []string
	for _, kind := range []string{"zones", "services", "ipsets", "policies", "icmptypes", "helpers"} {
		patterns = append(patterns, "/usr/lib/firewalld/"+kind+"/*.xml")
	}
	for b.Loop() {
		files, err := Local{}.ReadFiles(context.Background(), patterns, 4<<20)
		if err != nil || len(files) < 100 {
			b.Fatalf("%d files, %v", len(files), err)
		}
	}
}
