package linereader

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLimits(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     string
		limits Limits
		reads  int // lines read before the error
		want   error
	}{
		{"lines within limits", "a\r\nb\nc\r\n", Limits{LineBytes: 8, TotalBytes: 64, Lines: 3}, 3, io.EOF},
		{"a line too long", "ok\r\n" + strings.Repeat("x", 9000) + "\r\n", Limits{LineBytes: 4096}, 1, ErrLineTooLong},
		{"an endless line", strings.Repeat("x", 1<<20), Limits{LineBytes: 4096}, 0, ErrLineTooLong},
		{"too many lines", strings.Repeat("a\r\n", 5), Limits{LineBytes: 8, Lines: 3}, 3, ErrTooMuch},
		{"too many bytes", strings.Repeat("abcdef\r\n", 5), Limits{LineBytes: 16, TotalBytes: 20}, 2, ErrTooMuch},
		{"a cut-off last line", "a\r\nb", Limits{LineBytes: 8}, 1, io.ErrUnexpectedEOF},
	} {
		r := New(strings.NewReader(c.in), c.limits)
		n := 0
		var err error
		for ; ; n++ {
			if _, err = r.ReadLine(); err != nil {
				break
			}
		}
		if n != c.reads || !errors.Is(err, c.want) {
			t.Errorf("%s: %d lines then %v, want %d then %v", c.name, n, err, c.reads, c.want)
		}
	}
}

// Reset gives the next exchange a full budget; a literal counts against it
// before anything is allocated.
func TestResetAndReadFull(t *testing.T) {
	r := New(strings.NewReader("abcdef\r\n0123456789\r\n"), Limits{LineBytes: 16, TotalBytes: 10})
	if _, err := r.ReadLine(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadFull(5); !errors.Is(err, ErrTooMuch) {
		t.Fatalf("a literal past the budget: %v", err)
	}
	r.Reset()
	if b, err := r.ReadFull(10); err != nil || string(b) != "0123456789" {
		t.Fatalf("after Reset: %q %v", b, err)
	}
}
