package docs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pluginSections is the one layout every plugin page (docs/check_*.md)
// follows, in this order.
var pluginSections = []string{"Overview", "Fact sheet", "Usage examples", "States", "Perfdata", "Troubleshooting", "How it decides"}

// factRows are the rows every plugin page's fact sheet has, in this order.
var factRows = []string{"what it checks", "where it runs", "privileges it needs", "peers it replaces", "versions tested"}

// TestPluginPagesShareOneLayout: each plugin page has exactly the sections of
// pluginSections in order, a fact sheet with every row of factRows whose
// privileges row links to docs/privileges.md, a "How it decides" that links
// to an internals page, and the README links to the page.
func TestPluginPagesShareOneLayout(t *testing.T) {
	found, err := filepath.Glob("check_*.md")
	if err != nil || len(found) < 3 {
		t.Fatalf("plugin pages docs/check_*.md: %v (%v), want at least the three plugins", found, err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range found {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		sections := map[string]string{}
		var order []string
		for _, part := range strings.Split(prose(string(b)), "\n## ")[1:] {
			title, body, _ := strings.Cut(part, "\n")
			order = append(order, title)
			sections[title] = body
		}
		if strings.Join(order, " | ") != strings.Join(pluginSections, " | ") {
			t.Errorf("%s: sections %q, want %q", page, order, pluginSections)
		}
		var rows []string
		for _, line := range strings.Split(sections["Fact sheet"], "\n") {
			if cells := strings.Split(line, "|"); len(cells) > 3 && strings.TrimSpace(cells[1]) != "" && !strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
				rows = append(rows, strings.TrimSpace(cells[1]))
				if strings.TrimSpace(cells[1]) == "privileges it needs" && !strings.Contains(cells[2], "](privileges.md#") {
					t.Errorf("%s: the fact sheet's privileges row does not link to privileges.md: %s", page, line)
				}
			}
		}
		if strings.Join(rows, " | ") != strings.Join(factRows, " | ") {
			t.Errorf("%s: fact sheet rows %q, want %q", page, rows, factRows)
		}
		if !strings.Contains(sections["How it decides"], "](internals-") {
			t.Errorf("%s: How it decides links to no internals-*.md page", page)
		}
		if !strings.Contains(string(readme), "](docs/"+page+")") {
			t.Errorf("README.md does not link to docs/%s", page)
		}
	}
}
