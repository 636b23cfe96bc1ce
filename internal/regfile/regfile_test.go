package regfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRefusedBeforeOpen: a symlink to a FIFO whose writer is waiting is
// refused, and the writer is still waiting afterwards: opening the FIFO
// for reading (even non-blocking) would have released it, so this tells
// "refused after open" from "refused before open".
func TestRefusedBeforeOpen(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "firewalld.conf")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	opened := make(chan struct{})
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0) // blocks until a reader opens
		if err == nil {
			f.Close()
		}
		close(opened)
	}()
	time.Sleep(50 * time.Millisecond) // let the writer reach its open
	for _, read := range []func() error{
		func() error { _, err := Read(link, 100); return err },
		func() error { f, err := Open(link); f.Close(); return err },
	} {
		err := read()
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "FIFO") || !strings.Contains(err.Error(), link) {
			t.Fatalf("symlink to a FIFO: err %v, want ErrNotRegular naming the path and a FIFO", err)
		}
	}
	select {
	case <-opened:
		t.Fatal("the FIFO was opened: its writer was released")
	case <-time.After(300 * time.Millisecond):
	}
	// Release the writer (a reader of our own).
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	<-opened
	r.Close()
}

func TestReadKinds(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "plugins.ini")
	if err := os.WriteFile(regular, []byte("[x]\nk=v\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join(dir, "dev")
	if err := os.Symlink("/dev/null", dev); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		max  int64
		want error // nil: content read
	}{
		{regular, 100, nil},
		{link, 100, nil}, // a symlink to a regular file is fine
		{regular, 3, ErrTooLarge},
		{dev, 100, ErrNotRegular},
		{"/dev/null", 100, ErrNotRegular},
		{dir, 100, ErrNotRegular},
		{filepath.Join(dir, "missing"), 100, fs.ErrNotExist},
	}
	for _, c := range cases {
		b, err := Read(c.path, c.max)
		if c.want == nil {
			if err != nil || string(b) != "[x]\nk=v\n" {
				t.Errorf("Read(%s): %q, %v; want the content", c.path, b, err)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("Read(%s, %d): err %v, want %v", c.path, c.max, err, c.want)
		}
	}
}
