package main

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// release is one "## [VERSION] - DATE" section of a Keep a Changelog file
// ("## [Unreleased]" has no date).
type release struct {
	Version string
	Date    time.Time // zero for Unreleased
	Changes []change
}

// change is one bullet, with the "### Kind" heading it is under.
type change struct {
	Kind, Text string
}

var (
	releaseHeading = regexp.MustCompile(`^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?\s*$`)
	kindHeading    = regexp.MustCompile(`^### (Added|Changed|Deprecated|Removed|Fixed|Security)\s*$`)
	semverCore     = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)$`)
)

// parseChangelog reads the sections in file order (newest first). A bullet
// ("- text") may continue on indented lines; it must sit under a kind
// heading. Anything else below the first section (link references, blank
// lines) is skipped; anything malformed is an error naming the line.
func parseChangelog(text string) ([]release, error) {
	var out []release
	var cur *release
	kind := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t")
		switch {
		case strings.HasPrefix(line, "## "):
			m := releaseHeading.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("line %d: want \"## [X.Y.Z] - YYYY-MM-DD\" or \"## [Unreleased]\", got %q", n, line)
			}
			r := release{Version: m[1]}
			if m[1] == "Unreleased" {
				if m[2] != "" || len(out) > 0 {
					return nil, fmt.Errorf("line %d: [Unreleased] comes first and has no date", n)
				}
			} else {
				if !semverCore.MatchString(m[1]) {
					return nil, fmt.Errorf("line %d: version %q is not X.Y.Z", n, m[1])
				}
				d, err := time.Parse("2006-01-02", m[2])
				if err != nil {
					return nil, fmt.Errorf("line %d: release %s has no date (want \"- YYYY-MM-DD\")", n, m[1])
				}
				r.Date = d
			}
			out = append(out, r)
			cur, kind = &out[len(out)-1], ""
		case cur == nil:
			continue // the preamble
		case strings.HasPrefix(line, "### "):
			m := kindHeading.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("line %d: want a Keep a Changelog kind (Added, Changed, Deprecated, Removed, Fixed, Security), got %q", n, line)
			}
			kind = m[1]
		case strings.HasPrefix(line, "- "):
			if kind == "" {
				return nil, fmt.Errorf("line %d: a change outside a ### kind heading", n)
			}
			cur.Changes = append(cur.Changes, change{Kind: kind, Text: strings.TrimSpace(line[2:])})
		case strings.HasPrefix(line, "  ") && len(cur.Changes) > 0 && strings.TrimSpace(line) != "":
			last := &cur.Changes[len(cur.Changes)-1]
			last.Text += " " + strings.TrimSpace(line)
		}
	}
	if err := checkOrder(out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkOrder: released versions strictly descending, dates not ascending.
func checkOrder(rs []release) error {
	var prev *release
	for i := range rs {
		r := &rs[i]
		if r.Version == "Unreleased" {
			continue
		}
		if prev != nil {
			if compareVersions(prev.Version, r.Version) <= 0 {
				return fmt.Errorf("release %s is listed above %s: newest first", prev.Version, r.Version)
			}
			if prev.Date.Before(r.Date) {
				return fmt.Errorf("release %s is dated before the older %s", prev.Version, r.Version)
			}
		}
		prev = r
	}
	return nil
}

// compareVersions compares two X.Y.Z versions numerically.
func compareVersions(a, b string) int {
	ma, mb := semverCore.FindStringSubmatch(a), semverCore.FindStringSubmatch(b)
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(ma[i])
		y, _ := strconv.Atoi(mb[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// latestRelease is the newest dated section.
func latestRelease(rs []release) (release, bool) {
	for _, r := range rs {
		if r.Version != "Unreleased" {
			return r, true
		}
	}
	return release{}, false
}
