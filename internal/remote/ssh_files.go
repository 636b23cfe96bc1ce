package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// readFilesScript reads every requested file in one remote command. Each
// entry arrives as three words: P PATH "" (a plain path) or G DIR PATTERN (a
// pattern in the last element; sh's case matches it, Go re-checks it with
// filepath.Match). For each file it prints a record
//
//	NONCE F INDEX        then the path, hex (od)
//	NONCE C              then the content, hex, at most MAX bytes
//	NONCE E CLASS        instead of C: notexist, notregular, permission, notdir, io
//
// and NONCE END last. Hex lines from od can never look like a marker, so
// content of any kind (binary, a line "NONCE END", no final newline) is
// framed exactly, and anything a login shell prints first is skipped. It is
// one line: csh-family shells end a command at a newline inside quotes.
const readFilesScript = `n=$1; max=$2; shift 2; ` +
	`hx() { od -An -v -tx1 "$@"; }; ` +
	`hdr() { printf '%s F %s\n' "$n" "$1"; printf %s "$2" | hx; }; ` +
	`rec() { hdr "$1" "$2"; ` +
	`if [ ! -e "$2" ]; then printf '%s E notexist\n' "$n"; ` +
	`elif [ ! -f "$2" ]; then printf '%s E notregular\n' "$n"; ` +
	`elif [ ! -r "$2" ]; then printf '%s E permission\n' "$n"; ` +
	`else printf '%s C\n' "$n"; hx -N "$max" "$2" 2>/dev/null || printf '%s E io\n' "$n"; fi; }; ` +
	`i=0; while [ $# -ge 3 ]; do k=$1; a=$2; pat=$3; shift 3; ` +
	`if [ "$k" = P ]; then rec $i "$a"; ` +
	`elif [ -d "$a" ]; then ` +
	`if [ -r "$a" ] && [ -x "$a" ]; then ` +
	`for f in "$a"/* "$a"/.[!.]* "$a"/..?*; do [ -e "$f" ] || [ -L "$f" ] || continue; ` +
	`case ${f##*/} in $pat) rec $i "$f";; esac; done; ` +
	`else hdr $i "$a"; printf '%s E permission\n' "$n"; fi; ` +
	`elif [ -e "$a" ]; then hdr $i "$a"; printf '%s E notdir\n' "$n"; fi; ` +
	`i=$((i+1)); done; printf '%s END\n' "$n"`

// ReadFiles reads paths and patterns on the mail host in one remote command;
// see Host. The result is what Local would return for the same tree.
func (s *SSH) ReadFiles(ctx context.Context, paths []string, maxBytes int64) ([]File, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	marker := "MCRF" + hex.EncodeToString(nonce)
	words := []string{"sh", "-c", readFilesScript, "sh", marker, strconv.FormatInt(maxBytes+1, 10)}
	patterns := make([]string, len(paths))
	for i, p := range paths {
		dir, pattern := filepath.Split(p)
		if strings.ContainsAny(pattern, "*?[") {
			patterns[i] = pattern
			words = append(words, "G", filepath.Clean(dir), pattern)
		} else {
			words = append(words, "P", p, "")
		}
	}
	line, err := s.commandLine(ctx, words)
	if err != nil {
		return nil, fmt.Errorf("reading files over SSH: %v", err)
	}
	out, err := s.run(ctx, "reading "+plural(len(paths), "path"), line)
	if err != nil {
		return nil, err
	}
	files, err := decodeFileRecords(out.Stdout, marker, patterns, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("reading files over SSH: %v (exit %d%s)", err, out.ExitCode, stderrNote(out.Stderr))
	}
	return files, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func stderrNote(stderr []byte) string {
	s := strings.TrimSpace(string(stderr))
	if s == "" {
		return ""
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return ", stderr: " + s
}

// errorClasses maps the script's error classes to what Local's os calls
// return, so that a remote run prints the same reason as a local one.
var errorClasses = map[string]error{
	"notexist":   syscall.ENOENT,
	"permission": syscall.EACCES,
	"notdir":     syscall.ENOTDIR,
	"notregular": ErrNotRegular,
	"io":         syscall.EIO,
}

// decodeFileRecords parses the script's output. patterns[i] is non-empty
// when paths[i] was a pattern: its matches are re-checked and sorted.
func decodeFileRecords(stdout []byte, marker string, patterns []string, maxBytes int64) ([]File, error) {
	lines := bytes.Split(stdout, []byte("\n"))
	start := -1
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte(marker+" ")) {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, errors.New("the remote reader printed no record (is sh there?)")
	}
	perEntry := make([][]File, len(patterns))
	var cur *File
	entry := -1
	var hexbuf *[]byte
	var pathHex, dataHex []byte
	finish := func() error {
		if cur == nil {
			return nil
		}
		p, err := hex.DecodeString(string(pathHex))
		if err != nil {
			return fmt.Errorf("bad path record: %v", err)
		}
		cur.Path = string(p)
		if cur.Err == nil {
			d, err := hex.DecodeString(string(dataHex))
			if err != nil {
				return fmt.Errorf("bad content record for %s: %v", cur.Path, err)
			}
			if int64(len(d)) > maxBytes {
				cur.Err = fmt.Errorf("%w (over %d bytes)", ErrTooLarge, maxBytes)
			} else {
				cur.Data = d
			}
		}
		if pat := patterns[entry]; pat == "" || matchBase(pat, cur.Path) || cur.Err != nil && isDirRecord(cur.Err) {
			perEntry[entry] = append(perEntry[entry], *cur)
		}
		cur, pathHex, dataHex = nil, nil, nil
		return nil
	}
	for _, l := range lines[start:] {
		if !bytes.HasPrefix(l, []byte(marker+" ")) {
			if hexbuf == nil {
				return nil, errors.New("stray output between records")
			}
			*hexbuf = append(*hexbuf, bytes.ReplaceAll(bytes.TrimSpace(l), []byte(" "), nil)...)
			continue
		}
		f := strings.Fields(string(l[len(marker)+1:]))
		switch {
		case len(f) == 2 && f[0] == "F":
			if err := finish(); err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(f[1])
			if err != nil || n < 0 || n >= len(patterns) {
				return nil, fmt.Errorf("bad record index %q", f[1])
			}
			entry, cur, hexbuf = n, &File{}, &pathHex
		case len(f) == 1 && f[0] == "C" && cur != nil:
			hexbuf = &dataHex
		case len(f) == 2 && f[0] == "E" && cur != nil:
			if cur.Err = errorClasses[f[1]]; cur.Err == nil {
				return nil, fmt.Errorf("unknown error class %q", f[1])
			}
			hexbuf = nil
		case len(f) == 1 && f[0] == "END":
			if err := finish(); err != nil {
				return nil, err
			}
			var files []File
			for i, fs := range perEntry {
				if patterns[i] != "" {
					sort.Slice(fs, func(a, b int) bool { return fs[a].Path < fs[b].Path })
				}
				files = append(files, fs...)
			}
			return files, nil
		default:
			return nil, fmt.Errorf("bad record %q", l)
		}
	}
	return nil, errors.New("the remote reader's output ended before its END record")
}

func matchBase(pattern, path string) bool {
	ok, _ := filepath.Match(pattern, filepath.Base(path))
	return ok
}

// isDirRecord: a pattern's directory that could not be listed.
func isDirRecord(err error) bool {
	return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENOTDIR)
}
