// Command changelog checks CHANGELOG.md against VERSION and writes it as
// the changelog nFPM puts into the packages (chglog YAML: the .deb's
// /usr/share/doc/mailchecks/changelog.Debian.gz, the .rpm's %changelog).
// packaging/build.sh runs it; so does packaging's test.
//
//	changelog -version PKGVERSION [-release 1] [-o FILE]
//
// The newest dated section must be VERSION's. When PKGVERSION is a build
// after that release (0.1.0+5.gabc1234), an entry for the build itself
// comes first, holding the [Unreleased] items, so that the package's
// newest changelog entry is its own version.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

const packager = "mailchecks contributors <mailchecks@users.noreply.github.com>"

func main() {
	file := flag.String("changelog", "CHANGELOG.md", "Keep a Changelog file")
	versionFile := flag.String("version-file", "VERSION", "the release version")
	pkgVersion := flag.String("version", "", "the package version being built (default: VERSION)")
	pkgRelease := flag.String("release", "1", "the package release (nFPM release:)")
	out := flag.String("o", "", "write the chglog YAML here (default: only check)")
	flag.Parse()
	if err := run(*file, *versionFile, *pkgVersion, *pkgRelease, *out); err != nil {
		fmt.Fprintln(os.Stderr, "changelog:", err)
		os.Exit(1)
	}
}

func run(file, versionFile, pkgVersion, pkgRelease, out string) error {
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	v, err := os.ReadFile(versionFile)
	if err != nil {
		return err
	}
	version := strings.TrimSpace(string(v))
	releases, err := parseChangelog(string(text))
	if err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	latest, ok := latestRelease(releases)
	if !ok {
		return fmt.Errorf("%s has no dated release section", file)
	}
	if latest.Version != version {
		return fmt.Errorf("%s says %s, but its newest release section is %s: add a \"## [%s] - YYYY-MM-DD\" section (move the Unreleased items into it)", versionFile, version, latest.Version, version)
	}
	if pkgVersion == "" {
		pkgVersion = version
	}
	if pkgVersion != version && !strings.HasPrefix(pkgVersion, version+"+") {
		return fmt.Errorf("package version %s is neither %s nor a build after it (%s+N.gHASH)", pkgVersion, version, version)
	}
	if out == "" {
		return nil
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := writeChglog(f, releases, pkgVersion, pkgRelease, buildTime()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// buildTime dates a development build's entry: SOURCE_DATE_EPOCH (as
// build.sh sets it from the last commit) for reproducible packages.
func buildTime() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil && s > 0 {
		return time.Unix(s, 0).UTC()
	}
	return time.Now().UTC()
}

// writeChglog writes the entries nFPM reads, newest first. Versions carry
// the package release ("0.1.0-1"): the Debian changelog names the full
// package version, and the rpm %changelog's "- 0.1.0-1" is what rpmlint
// compares with %{version}-%{release}.
func writeChglog(w io.Writer, releases []release, pkgVersion, pkgRelease string, built time.Time) error {
	var entries []string
	for _, r := range releases {
		switch {
		case r.Version == "Unreleased" && pkgVersion == releasesTop(releases):
			continue
		case r.Version == "Unreleased":
			notes := r.Changes
			if len(notes) == 0 {
				notes = []change{{Kind: "Changed", Text: "Development build after " + releasesTop(releases) + "; no changes listed yet."}}
			}
			entries = append(entries, entry(pkgVersion+"-"+pkgRelease, built, notes))
		default:
			entries = append(entries, entry(r.Version+"-"+pkgRelease, r.Date, r.Changes))
		}
	}
	_, err := io.WriteString(w, strings.Join(entries, ""))
	return err
}

func releasesTop(rs []release) string {
	r, _ := latestRelease(rs)
	return r.Version
}

// entry is one chglog YAML list item; strings are JSON-quoted (valid YAML).
func entry(semver string, date time.Time, changes []change) string {
	q := func(s string) string {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		return strings.TrimSuffix(b.String(), "\n")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- semver: %s\n  date: %s\n  packager: %s\n", q(semver), date.UTC().Format(time.RFC3339), q(packager))
	fmt.Fprintf(&b, "  deb:\n    urgency: medium\n    distributions: [stable]\n  changes:\n")
	for _, c := range changes {
		fmt.Fprintf(&b, "    - note: %s\n", q(wrap(c.Kind+": "+c.Text, 72)))
	}
	return b.String()
}

// wrap breaks text into lines of at most width bytes (a longer word stays
// whole): the Debian changelog's lines must fit in 80 columns with their
// "  * " or "   - " prefix (lintian debian-changelog-line-too-long).
func wrap(text string, width int) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return strings.Join(append(lines, line), "\n")
}
