package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// readFilesScript reads every requested file in one remote command with
// one process for all contents: a walk with shell builtins only (test,
// case, globbing) classifies each candidate, then GNU tar sends every
// readable regular file. Each entry arrives as three words: P PATH "" (a
// plain path) or G DIR PATTERN (a pattern in the last element; sh's case
// matches it, Go re-checks it with filepath.Match). Output:
//
//	NONCE T INDEX LEN\n NAME          a file that goes into the archive
//	NONCE E:CLASS INDEX LEN\n NAME    notexist, notregular, permission, notdir
//	NONCE TAR\n                       then the tar stream
//	\nNONCE END STATUS\n              tar's exit status
//
// Names are length-prefixed raw bytes (LC_ALL=C: ${#} counts bytes), so
// any name survives; tar frames any content. The walk runs twice (records,
// then the name list for tar): a file that vanishes in between is missing
// from the archive and reported as an I/O error. It is one line: csh-family
// shells end a command at a newline inside quotes.
const readFilesScript = `LC_ALL=C; export LC_ALL; n=$1; shift; ` +
	`rec() { printf '%s %s %s %s\n' "$n" "$1" "$2" "${#3}"; printf '%s' "$3"; }; ` +
	`nul() { printf '%s\0' "$3"; }; skip() { :; }; ` +
	`one() { if [ ! -e "$2" ]; then $bad E:notexist "$1" "$2"; ` +
	`elif [ ! -f "$2" ]; then $bad E:notregular "$1" "$2"; ` +
	`elif [ ! -r "$2" ]; then $bad E:permission "$1" "$2"; ` +
	`else $ok T "$1" "$2"; fi; }; ` +
	`walk() { ok=$1; bad=$2; shift 2; i=0; while [ $# -ge 3 ]; do k=$1; a=$2; pat=$3; shift 3; ` +
	`if [ "$k" = P ]; then one $i "$a"; ` +
	`elif [ -d "$a" ]; then ` +
	`if [ -r "$a" ] && [ -x "$a" ]; then ` +
	`for f in "$a"/* "$a"/.[!.]* "$a"/..?*; do [ -e "$f" ] || [ -L "$f" ] || continue; ` +
	`case ${f##*/} in $pat) one $i "$f";; esac; done; ` +
	`else $bad E:permission $i "$a"; fi; ` +
	`elif [ -e "$a" ]; then $bad E:notdir $i "$a"; fi; ` +
	`i=$((i+1)); done; }; ` +
	`walk rec rec "$@"; printf '%s TAR\n' "$n"; ` +
	`walk nul skip "$@" | tar -c -f - --null --no-recursion --dereference --hard-dereference -T -; ` +
	`printf '\n%s END %s\n' "$n" "$?"`

// ReadFiles reads paths and patterns on the mail host in one remote command;
// see Host. The result is what Local would return for the same tree.
func (s *SSH) ReadFiles(ctx context.Context, paths []string, maxBytes int64) ([]File, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	marker := "MCRF" + hex.EncodeToString(nonce)
	words := []string{"sh", "-c", readFilesScript, "sh", marker}
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
	"E:notexist":   syscall.ENOENT,
	"E:permission": syscall.EACCES,
	"E:notdir":     syscall.ENOTDIR,
	"E:notregular": ErrNotRegular,
}

// fileRecord is one candidate the walk found, in order.
type fileRecord struct {
	entry int
	file  File
	inTar bool
}

// decodeFileRecords parses the script's output. patterns[i] is non-empty
// when paths[i] was a pattern: its matches are re-checked and sorted.
func decodeFileRecords(stdout []byte, marker string, patterns []string, maxBytes int64) ([]File, error) {
	start := bytes.Index(stdout, []byte(marker+" "))
	if start < 0 {
		return nil, errors.New("the remote reader printed no record (is sh there?)")
	}
	rest := stdout[start:]
	var recs []fileRecord
	for {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 || !bytes.HasPrefix(rest, []byte(marker+" ")) {
			return nil, errors.New("the remote reader's output ended before its archive")
		}
		f := strings.Fields(string(rest[len(marker)+1 : nl]))
		rest = rest[nl+1:]
		if len(f) == 1 && f[0] == "TAR" {
			break
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("bad record %q", f)
		}
		idx, err1 := strconv.Atoi(f[1])
		n, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || idx < 0 || idx >= len(patterns) || n < 0 || n > len(rest) {
			return nil, fmt.Errorf("bad record %q", f)
		}
		r := fileRecord{entry: idx, file: File{Path: string(rest[:n])}}
		rest = rest[n:]
		switch {
		case f[0] == "T":
			r.inTar = true
		case errorClasses[f[0]] != nil:
			r.file.Err = errorClasses[f[0]]
		default:
			return nil, fmt.Errorf("unknown record kind %q", f[0])
		}
		recs = append(recs, r)
	}
	end := bytes.LastIndex(rest, []byte("\n"+marker+" END "))
	if end < 0 {
		return nil, errors.New("the remote reader's output ended before its END record")
	}
	if err := readArchive(rest[:end], recs, maxBytes); err != nil {
		return nil, err
	}
	perEntry := make([][]File, len(patterns))
	for _, r := range recs {
		if pat := patterns[r.entry]; pat == "" || matchBase(pat, r.file.Path) || isDirRecord(r.file.Err) {
			perEntry[r.entry] = append(perEntry[r.entry], r.file)
		}
	}
	var files []File
	for i, fs := range perEntry {
		if patterns[i] != "" {
			sort.Slice(fs, func(a, b int) bool { return fs[a].Path < fs[b].Path })
		}
		files = append(files, fs...)
	}
	return files, nil
}

// readArchive fills the data of the records that went into the tar stream,
// in order; one that is missing (it vanished or became unreadable between
// the walk and tar) gets an I/O error.
func readArchive(stream []byte, recs []fileRecord, maxBytes int64) error {
	tr := tar.NewReader(bytes.NewReader(stream))
	hdr, err := tr.Next()
	for i := range recs {
		r := &recs[i]
		if !r.inTar {
			continue
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("the remote archive is damaged: %v", err)
		}
		if hdr == nil || tarName(hdr.Name) != tarName(r.file.Path) {
			r.file.Err = syscall.EIO
			continue
		}
		data, rerr := io.ReadAll(io.LimitReader(tr, maxBytes+1))
		switch {
		case rerr != nil:
			return fmt.Errorf("the remote archive is damaged at %s: %v", r.file.Path, rerr)
		case int64(len(data)) > maxBytes || hdr.Size > maxBytes:
			r.file.Err = fmt.Errorf("%w (over %d bytes)", ErrTooLarge, maxBytes)
		default:
			r.file.Data = data
		}
		hdr, err = tr.Next()
	}
	return nil
}

// tarName is a path as GNU tar stores it: without leading slashes.
func tarName(p string) string { return path.Clean(strings.TrimLeft(p, "/")) }

func matchBase(pattern, path string) bool {
	ok, _ := filepath.Match(pattern, filepath.Base(path))
	return ok
}

// isDirRecord: a pattern's directory that could not be listed.
func isDirRecord(err error) bool {
	return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENOTDIR)
}
