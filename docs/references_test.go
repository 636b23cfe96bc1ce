package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Where the code and the deployment files point readers at the docs.
var referenceTrees = []string{"../contrib", "../packaging", "../cmd", "../internal", "../tools", "../scripts", "../Makefile"}

var (
	// docs/NAME.md, optionally #anchor
	docsRef = regexp.MustCompile(`\bdocs/([a-z0-9_-]+\.md)(#[A-Za-z0-9_-]+)?`)
	// README "Section", README's "Section" section, README section "Section"
	readmeSection = regexp.MustCompile(`README(?: section|'s)? "([^"]+)"( section)?`)
	// README's Section (unquoted, capitalised): cannot be checked
	readmeUnquoted = regexp.MustCompile(`README(?:'s|,) [A-Z][a-z]`)
)

// TestReferencesNameExistingSections: every docs/PAGE.md[#anchor] named in
// contrib/, packaging/, cmd/, internal/, tools/ and scripts/ (comments,
// Icinga descriptions, the Director basket, test comments) is a page with
// that heading, and every README section named ("README \"Install\"") is a
// heading of README.md. An unquoted "the README's Privileges" cannot be
// checked and fails: the README was cut to a front door once, and such
// names pointed at sections that had moved to docs/.
func TestReferencesNameExistingSections(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readmeAnchors := anchors(string(readme))
	checked := 0
	for _, tree := range referenceTrees {
		err := filepath.WalkDir(tree, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for n, line := range strings.Split(string(b), "\n") {
				where := path[len("../"):] + ":" + itoa(n+1)
				for _, m := range docsRef.FindAllStringSubmatch(line, -1) {
					checked++
					page, err := os.ReadFile(m[1])
					if err != nil {
						t.Errorf("%s: %s: no such page in docs/", where, m[0])
						continue
					}
					if m[2] != "" && !anchors(string(page))[m[2][1:]] {
						t.Errorf("%s: %s: docs/%s has no heading with that anchor", where, m[0], m[1])
					}
				}
				for _, m := range readmeSection.FindAllStringSubmatch(line, -1) {
					if strings.Contains(m[0], "'s") && m[2] == "" {
						continue // README's "quoted text": a quotation, not a section
					}
					checked++
					if !readmeAnchors[slug(m[1])] {
						t.Errorf("%s: %s: README.md has no such heading (its sections moved to docs/: name the page)", where, m[0])
					}
				}
				if m := readmeUnquoted.FindString(line); m != "" {
					t.Errorf("%s: %q names a README section without quotes, which cannot be checked: point at docs/PAGE.md#anchor, or quote a README heading (README \"Install\")", where, strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d references found: the patterns no longer match", checked)
	}
}

// slug is the anchor GitHub gives a heading (see anchors).
func slug(heading string) string {
	for id := range anchors("# " + heading) {
		return id
	}
	return ""
}
