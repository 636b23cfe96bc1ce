package remote

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestLocalRunNeverSearchesPath: a bare command name is refused even when
// PATH holds a program of that name (run as root through sudo, PATH is the
// caller's); an absolute path runs.
func TestLocalRunNeverSearchesPath(t *testing.T) {
	dir := t.TempDir()
	canary := filepath.Join(dir, "ran")
	fake := filepath.Join(dir, "firewall-cmd")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\ntouch "+canary+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	_, err := Local{}.Run(context.Background(), []string{"firewall-cmd", "--version"})
	if !errors.Is(err, ErrRelativeCommand) {
		t.Errorf("Run(firewall-cmd): err %v, want ErrRelativeCommand", err)
	}
	if _, statErr := os.Stat(canary); statErr == nil {
		t.Fatal("a bare command name ran the program PATH found first")
	}
	out, err := Local{}.Run(context.Background(), []string{fake})
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("Run(%s): %v, exit %d", fake, err, out.ExitCode)
	}
	if _, err := os.Stat(canary); err != nil {
		t.Errorf("the absolute path did not run: %v", err)
	}
}
