package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// markdownLink matches an inline link's target: ](target) or ](target "title").
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// pages are the Markdown files whose links must resolve: README.md and every
// page under docs/.
func pages(t *testing.T) []string {
	t.Helper()
	found, err := filepath.Glob("*.md")
	if err != nil || len(found) == 0 {
		t.Fatalf("no docs/*.md found (%v)", err)
	}
	return append([]string{"../README.md"}, found...)
}

// prose is a page with its fenced code blocks and inline code spans blanked,
// so that a "](x)" inside an example is not taken for a link.
func prose(text string) string {
	var b strings.Builder
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			b.WriteString("\n")
			continue
		}
		if fenced {
			b.WriteString("\n")
			continue
		}
		b.WriteString(stripInlineCode(line))
		b.WriteString("\n")
	}
	return b.String()
}

// stripInlineCode removes `code` spans (of any backtick run length).
func stripInlineCode(line string) string {
	var b strings.Builder
	for {
		start := strings.IndexByte(line, '`')
		if start < 0 {
			b.WriteString(line)
			return b.String()
		}
		run := start
		for run < len(line) && line[run] == '`' {
			run++
		}
		ticks := line[start:run]
		end := strings.Index(line[run:], ticks)
		if end < 0 {
			b.WriteString(line)
			return b.String()
		}
		b.WriteString(line[:start])
		line = line[run+end+len(ticks):]
	}
}

var (
	heading    = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	notSlugRun = regexp.MustCompile(`[^\p{L}\p{N}\- _]`)
	linkTarget = regexp.MustCompile(`\]\([^)]*\)`)
)

// anchors are the ids GitHub gives a page's headings: lower case, markup and
// punctuation dropped (letters, digits, '-' and '_' kept), spaces to '-',
// and "-1", "-2" … appended to repeats.
func anchors(text string) map[string]bool {
	ids := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
		}
		m := heading.FindStringSubmatch(line)
		if m == nil || fenced {
			continue
		}
		title := linkTarget.ReplaceAllString(m[1], "]")
		slug := strings.ToLower(notSlugRun.ReplaceAllString(title, ""))
		slug = strings.ReplaceAll(slug, " ", "-")
		if n := seen[slug]; n > 0 {
			ids[slug+"-"+itoa(n)] = true
		} else {
			ids[slug] = true
		}
		seen[slug]++
	}
	return ids
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestRelativeLinksResolve: every relative link in README.md and docs/*.md
// names a file that exists, and every #anchor names a heading of its target
// page (GitHub's slug rules), so moving a section cannot leave a dead link.
func TestRelativeLinksResolve(t *testing.T) {
	texts := map[string]string{}
	read := func(path string) (string, bool) {
		clean := filepath.Clean(path)
		if s, ok := texts[clean]; ok {
			return s, true
		}
		b, err := os.ReadFile(clean)
		if err != nil {
			return "", false
		}
		texts[clean] = string(b)
		return string(b), true
	}
	checked := 0
	for _, page := range pages(t) {
		text, _ := read(page)
		for _, m := range markdownLink.FindAllStringSubmatch(prose(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			file, anchor, _ := strings.Cut(target, "#")
			dest := page
			if file != "" {
				dest = filepath.Join(filepath.Dir(page), file)
			}
			info, err := os.Stat(dest)
			if err != nil {
				t.Errorf("%s: link %q: %s does not exist", page, target, dest)
				continue
			}
			if anchor == "" {
				continue
			}
			if info.IsDir() || !strings.HasSuffix(dest, ".md") {
				t.Errorf("%s: link %q: an anchor into %s, which is not a Markdown page", page, target, dest)
				continue
			}
			destText, _ := read(dest)
			if !anchors(destText)[anchor] {
				t.Errorf("%s: link %q: %s has no heading with the anchor #%s", page, target, dest, anchor)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d relative links found in README.md and docs/*.md: the link pattern no longer matches", checked)
	}
}

// TestAnchorSlugs pins the slug rules the link test relies on.
func TestAnchorSlugs(t *testing.T) {
	ids := anchors("# check_fail2ban_trusted\n## Icinga 2 and NRPE\n### How `ignoreip` is read\n## States\n## States\n```\n# not a heading\n```\n## Remote mode over SSH: [x](y.md)\n")
	for _, want := range []string{"check_fail2ban_trusted", "icinga-2-and-nrpe", "how-ignoreip-is-read", "states", "states-1", "remote-mode-over-ssh-x"} {
		if !ids[want] {
			t.Errorf("no anchor %q in %v", want, ids)
		}
	}
	if ids["not-a-heading"] {
		t.Errorf("a comment in a code block was taken for a heading: %v", ids)
	}
}
