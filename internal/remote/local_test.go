package remote

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestLocalReadFiles: plain paths always get an answer, patterns their
// matches sorted, and what is not a regular file (a FIFO where a zone file
// should be, which a plain open would block on) is refused at once.
func TestLocalReadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"b.xml": "<b/>", "a.xml": "<a/>", "big.xml": "0123456789", "c.txt": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.xml"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	files, err := Local{}.ReadFiles(ctx, []string{filepath.Join(dir, "*.xml"), filepath.Join(dir, "missing.conf"), filepath.Join(dir, "nodir", "*.xml")}, 5)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]File{}
	var order []string
	for _, f := range files {
		got[filepath.Base(f.Path)] = f
		order = append(order, filepath.Base(f.Path))
	}
	want := []string{"a.xml", "b.xml", "big.xml", "fifo.xml", "missing.conf"}
	if len(order) != len(want) {
		t.Fatalf("files %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("files %v, want %v", order, want)
		}
	}
	if string(got["a.xml"].Data) != "<a/>" || got["a.xml"].Err != nil {
		t.Errorf("a.xml: %+v", got["a.xml"])
	}
	if !errors.Is(got["big.xml"].Err, ErrTooLarge) {
		t.Errorf("big.xml: %v, want too large", got["big.xml"].Err)
	}
	if !errors.Is(got["fifo.xml"].Err, ErrNotRegular) {
		t.Errorf("fifo.xml: %v, want not regular", got["fifo.xml"].Err)
	}
	if !errors.Is(got["missing.conf"].Err, fs.ErrNotExist) {
		t.Errorf("missing.conf: %v, want not exist", got["missing.conf"].Err)
	}
}
