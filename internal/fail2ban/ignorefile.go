package fail2ban

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// FileSet is what a `file:PATH` ignoreip entry holds for the jail, read on
// the mail host as fail2ban reads it.
type FileSet struct {
	Entries []string // the file's words (FileIPAddrSet.load: splitwords, comments removed)
	Err     error    // the file could not be read: the entry cannot be judged
	// NotAFile: the server is older than 1.1.1 and reads `file:PATH` as a
	// host name (IPAddr), which never resolves, so it covers nothing.
	NotAFile string
}

// maxIgnoreFile bounds one file: entry's file. A list of ten thousand
// addresses and networks is ~200 KiB.
const maxIgnoreFile = 1 << 20

// fileEntryPath reads the path of a `file:` entry as fail2ban 1.1.1 does
// (ipdns.py FileIPAddrSet.RE_FILE_IGN_IP,
// `^file:(?:/{0,2}(?=/(?!/|.{1,2}/))|/{0,2})(.*)$`): up to two slashes
// before an absolute path go ("file:///etc/x", "file://etc/x" as the server
// prints it, and "file:/etc/x" are all /etc/x), and "file://a/b" is the
// relative a/b.
func fileEntryPath(raw string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(raw), "file:")
	if !ok {
		return "", false
	}
	at := func(i int) byte {
		if i < len(rest) {
			return rest[i]
		}
		return 0
	}
	slashes := func(n int) bool { return len(rest) >= n && strings.Count(rest[:n], "/") == n }
	for k := 2; k >= 0; k-- { // /{0,2}, greedy, then (?=/(?!/|.{1,2}/))
		if !slashes(k) || at(k) != '/' || at(k+1) == '/' || at(k+2) == '/' || at(k+3) == '/' {
			continue
		}
		return rest[k:], true
	}
	n := 0
	for n < 2 && at(n) == '/' {
		n++
	}
	return rest[n:], true
}

// reComment is helpers.py RE_REM_COMMENTS: "#" or ";" at a line's start or
// after a space, to the end of the line.
var (
	reComment = regexp.MustCompile(`(?m)(?:^|\s)[#;].*`)
	reWords   = regexp.MustCompile(`[\s,]+`)
)

// splitWords is helpers.py splitwords(s, ignoreComments=True).
func splitWords(s string) []string {
	var out []string
	for _, w := range reWords.Split(reComment.ReplaceAllString(s, ""), -1) {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// readIgnoreFiles attaches to each jail the sets its file: entries name:
// read on the mail host (fail2ban >= 1.1.1), or marked as what an older
// server makes of them.
func readIgnoreFiles(ctx context.Context, host remote.Host, version string, jails []JailState) {
	var paths []string
	for _, j := range jails {
		for _, raw := range j.IgnoreIP {
			if p, ok := fileEntryPath(raw); ok {
				paths = append(paths, p)
			}
		}
	}
	if len(paths) == 0 {
		return
	}
	sets := map[string]FileSet{}
	switch {
	case version == "":
		for _, p := range paths {
			sets[p] = FileSet{Err: fmt.Errorf("fail2ban's version is not known, and only 1.1.1 and later read file: entries")}
		}
	case !versionAtLeast(version, 1, 1, 1):
		for _, p := range paths {
			sets[p] = FileSet{NotAFile: fmt.Sprintf("fail2ban %s reads file: entries from 1.1.1 on; it takes this one for a host name that does not resolve", version)}
		}
	default:
		files, err := host.ReadFiles(ctx, paths, maxIgnoreFile)
		for _, p := range paths {
			sets[p] = FileSet{Err: err}
		}
		for _, f := range files {
			if f.Err != nil {
				sets[f.Path] = FileSet{Err: f.Err}
				continue
			}
			sets[f.Path] = FileSet{Entries: splitWords(string(f.Data))}
		}
	}
	for i := range jails {
		jails[i].IgnoreFiles = sets
	}
}
