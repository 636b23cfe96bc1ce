package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestMakeInstall runs the README's source install, `make build && make
// install` and `make install PREFIX=/usr/lib64/nagios/plugins`, into a
// DESTDIR (BINS= puts the build into a scratch directory, so the source
// tree's bin/ is left alone): every plugin lands in PREFIX, mode 0755, and
// runs (-V).
func TestMakeInstall(t *testing.T) {
	requireTool(t, "make")
	dir := t.TempDir()
	var bins []string
	for _, p := range plugins {
		bins = append(bins, filepath.Join(dir, "bin", p))
	}
	common := []string{"make", "-C", "..", "GO=" + sandbox.GoTool(), "BINS=" + strings.Join(bins, " ")}
	run(t, nil, append(common, "build")...)
	for _, c := range []struct{ prefix, args string }{
		{debPluginDir, ""}, // the Makefile's default PREFIX
		{rpmPluginDir, "PREFIX=" + rpmPluginDir},
	} {
		dest := filepath.Join(dir, "root"+strings.ReplaceAll(c.prefix, "/", "-"))
		argv := append(common, "install", "DESTDIR="+dest)
		if c.args != "" {
			argv = append(argv, c.args)
		}
		run(t, nil, argv...)
		for _, p := range plugins {
			path := filepath.Join(dest, c.prefix, p)
			info, err := os.Stat(path)
			if err != nil {
				t.Errorf("make install %s: %v", c.args, err)
				continue
			}
			if info.Mode().Perm() != 0o755 {
				t.Errorf("%s: mode %04o, want 0755", path, info.Mode().Perm())
			}
			if out := run(t, nil, path, "-V"); !strings.HasPrefix(out, p+" ") {
				t.Errorf("%s -V: %q", path, out)
			}
		}
	}
}
