package remote

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func itoa(i int) string { return strconv.Itoa(i) }

// ReadFiles over SSH returns exactly what Local returns for the same tree:
// binary and odd content, odd names, missing files, directories, patterns
// (dot files included, as filepath.Match does), sizes at and over the limit,
// an unlistable directory. One remote command for all of it.
func TestSSHReadFilesAgreesWithLocal(t *testing.T) {
	dir := t.TempDir()
	zones := filepath.Join(dir, "zones")
	must(t, os.MkdirAll(filepath.Join(zones, "sub.xml"), 0o755))
	binary := string([]byte{0, 1, 2, 255, '\n', '\r'})
	files := map[string]string{
		"zones/public.xml":         "<zone>\n<service name=\"imaps\"/>\n</zone>",
		"zones/.hidden.xml":        "dot",
		"zones/we ird'$(x).xml":    "odd name",
		"zones/line\nbreak.xml":    "newline in the name",
		"zones/empty.xml":          "",
		"zones/notes.txt":          "not matched",
		"binary":                   binary,
		"marker-like":              "MCRF0000 END\nMCRF F 0\n",
		"limit":                    "12345678",
		"over":                     "123456789",
		"firewalld.conf":           "DefaultZone=public\n",
		"locked/inside.xml":        "x",
		"services/imaps.xml":       "<service/>",
		"services/no-final-nl.xml": "<service/>  ",
	}
	for name, content := range files {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		writeFile(t, filepath.Join(dir, name), content)
	}
	must(t, os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(zones, "dangling.xml")))
	paths := []string{
		filepath.Join(dir, "firewalld.conf"),
		filepath.Join(dir, "zones", "*.xml"),
		filepath.Join(dir, "missing.conf"),
		filepath.Join(dir, "binary"),
		filepath.Join(dir, "marker-like"),
		filepath.Join(dir, "limit"),
		filepath.Join(dir, "over"),
		filepath.Join(dir, "zones"),
		filepath.Join(dir, "no-such-dir", "*.xml"),
		filepath.Join(dir, "firewalld.conf", "*.xml"),
		filepath.Join(dir, "services", "*.xml"),
		filepath.Join(dir, "services", "[a-i]*.xml"),
	}
	local, err := Local{}.ReadFiles(context.Background(), paths, 8)
	must(t, err)
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	s := mustDial(t, srv.config())
	remote, err := s.ReadFiles(context.Background(), paths, 8)
	must(t, err)
	if a, b := describeFiles(local), describeFiles(remote); a != b {
		t.Fatalf("local and SSH differ:\nlocal:\n%s\nssh:\n%s", a, b)
	}
	if len(local) < 15 {
		t.Fatalf("the tree was not read: %s", describeFiles(local))
	}
}

func describeFiles(files []File) string {
	var s string
	for _, f := range files {
		s += fmt.Sprintf("%q data=%q err=%v\n", f.Path, f.Data, f.Err)
	}
	return s
}

// WithSudo puts sudo -n in front of commands, over SSH as locally (root
// may sudo here), and leaves the reader alone.
func TestSSHWithSudo(t *testing.T) {
	srv := startSSHServer(t, sandbox.SSHDOptions{})
	for _, h := range []Host{Local{}, mustDial(t, srv.config())} {
		out, err := WithSudo(h).Run(context.Background(), []string{"sh", "-c", "echo $SUDO_USER; id -u"})
		if err != nil || out.ExitCode != 0 || string(out.Stdout) != "root\n0\n" {
			if _, lookErr := os.Stat("/usr/bin/sudo"); lookErr != nil {
				t.Fatalf("sudo is missing (apt-get install sudo): %v", lookErr)
			}
			t.Fatalf("%s: through sudo -n: %+v %v", h.Where(), out, err)
		}
		files, err := WithSudo(h).ReadFiles(context.Background(), []string{"/etc/hostname"}, 1024)
		if err != nil || len(files) != 1 || files[0].Err != nil {
			t.Fatalf("%s: %v %v", h.Where(), files, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
