package sandbox

import (
	"os"
	"os/exec"
)

// GoTool finds the go command for tests that build the plugins: `go test`
// does not always put it on PATH.
func GoTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	for _, p := range []string{os.Getenv("GOROOT") + "/bin/go", "/usr/local/go/bin/go"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}
