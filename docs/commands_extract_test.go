package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A shown command is a command line a reader is shown and may type: a line
// of a ```sh block, a "$ " line of an output block, an inline `code` span
// that invokes a plugin, or an indented example line in a contrib comment.
type shown struct {
	where string   // file:line, for messages
	text  string   // as shown (continuations joined)
	env   []string // leading NAME=value assignments
	argv  []string // the command itself, sudo/runuser prefixes removed
}

// plugins are the suite's commands (cmd/).
var plugins = []string{"check_firewalld_mail", "check_fail2ban_trusted", "check_imaps_tls", "check_smtp_tls"}

func isPlugin(word string) bool {
	for _, p := range plugins {
		if filepath.Base(word) == p {
			return true
		}
	}
	return false
}

// commandWords are the first words that make an indented contrib comment
// line, or an inline `code` span, a command (the other indented lines there
// are Icinga examples; other spans are names and values).
var commandWords = regexp.MustCompile(`^(sudo|install|cp|systemctl|apt|apt-get|dnf|groupadd|usermod|setfacl|visudo|firewall-cmd|fail2ban-client|make|icinga2|ssh|ssh-keyscan|ssh-keygen|runuser|check_nrpe|nmcli|postfix|doveadm|certbot|openssl|nft|ss|semanage|restorecon|setsebool|ausearch|update-alternatives|chmod|chown|man|go|git|check_[a-z0-9_]+)$`)

// shownCommands gathers every shown command of README.md, docs/*.md,
// contrib/**/README.md and the comments of the other contrib files.
func shownCommands(t *testing.T) []shown {
	t.Helper()
	var out []shown
	pages, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	pages = append([]string{"../README.md", "../contrib/polkit/README.md"}, pages...)
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, markdownCommands(strings.TrimPrefix(page, "../"), string(b))...)
	}
	err = filepath.WalkDir("../contrib", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".md") || strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, commentCommands(strings.TrimPrefix(path, "../"), string(b))...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// markdownCommands: every line of a ```sh block, every "$ " line of a
// block without a language, and inline spans that run a plugin.
func markdownCommands(file, text string) []shown {
	var out []shown
	lang, fenced := "", false
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimSpace(lines[i])
		if strings.HasPrefix(trimmed, "```") {
			fenced, lang = !fenced, strings.TrimPrefix(trimmed, "```")
			continue
		}
		where := fmt.Sprintf("%s:%d", file, i+1)
		if !fenced {
			for _, span := range inlineSpan.FindAllStringSubmatch(lines[i], -1) {
				if cmds := parseShown(where, span[1]); len(cmds) > 0 && strings.Contains(span[1], " ") && len(cmds[0].argv) > 0 && commandWords.MatchString(filepath.Base(cmds[0].argv[0])) {
					out = append(out, cmds...)
				}
			}
			continue
		}
		line, next := joinContinued(lines, i)
		i = next
		if lang == "sh" {
			out = append(out, alternativeCommands(where, line)...)
		}
		switch {
		case lang == "sh" || lang == "bash" || lang == "console":
			out = append(out, parseShown(where, strings.TrimPrefix(strings.TrimSpace(line), "$ "))...)
		case lang == "" && strings.HasPrefix(trimmed, "$ "):
			out = append(out, parseShown(where, strings.TrimPrefix(strings.TrimSpace(line), "$ "))...)
		}
	}
	return out
}

var inlineSpan = regexp.MustCompile("`([^`]+)`")

// commentMarker is a comment's leading marker in the contrib files: shell
// and ini '#', C-style '*' or '//', ini ';'.
var commentMarker = regexp.MustCompile(`^\s*(#|//|\*|;)`)

// nrpeCommand is an NRPE command definition: command[NAME]=COMMAND LINE.
var nrpeCommand = regexp.MustCompile(`^command\[[^\]]+\]=(.*)$`)

// commentCommands: NRPE command lines, and comment lines indented past their marker (the files'
// example style) whose first word is a command.
func commentCommands(file, text string) []shown {
	var out []shown
	lines := strings.Split(text, "\n")
	for i := range lines {
		if m := nrpeCommand.FindStringSubmatch(lines[i]); m != nil {
			out = append(out, parseShown(fmt.Sprintf("%s:%d", file, i+1), m[1])...)
			continue
		}
		m := commentMarker.FindStringIndex(lines[i])
		if m == nil {
			continue
		}
		body := lines[i][m[1]:]
		if !strings.HasPrefix(body, "  ") && !strings.HasPrefix(body, "\t") && !strings.HasPrefix(body, " \t") {
			continue
		}
		words := strings.Fields(body)
		if len(words) == 0 || !commandWords.MatchString(filepath.Base(words[0])) || (len(words) > 1 && words[1] == "=") {
			continue
		}
		// a continuation goes on in the next comment line
		text := strings.TrimSpace(body)
		for j := i + 1; strings.HasSuffix(text, `\`) && j < len(lines); j++ {
			next := commentMarker.ReplaceAllString(lines[j], "")
			text = strings.TrimSuffix(text, `\`) + " " + strings.TrimSpace(next)
		}
		out = append(out, parseShown(fmt.Sprintf("%s:%d", file, i+1), text)...)
		out = append(out, alternativeCommands(fmt.Sprintf("%s:%d", file, i+1), text)...)
	}
	return out
}

// alternative is another distribution's command in a shell comment:
// "# Fedora/RHEL: cp …; systemctl restart nrpe", "# (dnf install acl)".
var alternative = regexp.MustCompile(`#\s*(?:Fedora/RHEL:\s*)?\(?((?:dnf|apt|apt-get|cp|systemctl) [^)#]*)`)

// alternativeCommands are the commands of a line's comment (see alternative).
func alternativeCommands(where, line string) []shown {
	m := alternative.FindStringSubmatch(line)
	if m == nil {
		return nil
	}
	return parseShown(where, m[1])
}

// joinContinued joins line i with the lines its trailing backslashes
// continue into; it returns the joined line and the index of its last line.
func joinContinued(lines []string, i int) (string, int) {
	line := lines[i]
	for strings.HasSuffix(strings.TrimRight(line, " "), `\`) && i+1 < len(lines) {
		i++
		line = strings.TrimSuffix(strings.TrimRight(line, " "), `\`) + " " + strings.TrimSpace(lines[i])
	}
	return line, i
}

// parseShown splits one shown line into its commands (at && and ;),
// without the trailing "# comment", each with its leading NAME=value
// assignments and sudo/runuser prefixes taken off. Comment-only and empty
// lines give none.
func parseShown(where, line string) []shown {
	words := shellWords(line)
	var out []shown
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, newShown(where, cur))
		}
		cur = nil
	}
	for _, w := range words {
		switch {
		case w == "#" || strings.HasPrefix(w, "#"):
			flush()
			return out
		case w == "&&" || w == ";":
			flush()
		case strings.HasSuffix(w, ";") && !strings.HasPrefix(w, "'"):
			cur = append(cur, strings.TrimSuffix(w, ";"))
			flush()
		default:
			cur = append(cur, w)
		}
	}
	flush()
	return out
}

var assignment = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)

func newShown(where string, words []string) shown {
	s := shown{where: where, text: strings.Join(words, " ")}
	for len(words) > 0 && assignment.MatchString(words[0]) {
		s.env = append(s.env, words[0])
		words = words[1:]
	}
	// sudo [-u USER] [-n] CMD, runuser -u USER -- CMD: the command is CMD
	for len(words) > 0 && (words[0] == "sudo" || words[0] == "runuser") {
		words = words[1:]
		for len(words) > 0 && strings.HasPrefix(words[0], "-") {
			if words[0] == "--" {
				words = words[1:]
				break
			}
			if words[0] == "-u" && len(words) > 1 {
				words = words[1:]
			}
			words = words[1:]
		}
	}
	s.argv = words
	return s
}

// shellWords splits a line as sh would for the simple lines the docs show:
// blanks separate words, quotes group them (and are removed).
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
