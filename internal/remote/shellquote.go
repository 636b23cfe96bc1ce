package remote

import (
	"fmt"
	"strings"
)

// ShellQuote turns argv into one command line for the remote login shell,
// every word in single quotes (inside which a POSIX shell expands nothing:
// not $, not `, not ;) with each ' written as '\”. Words holding a NUL,
// newline or carriage return are refused: a NUL cannot cross at all, and
// csh-family login shells end a command at a newline even inside quotes.
func ShellQuote(argv []string) (string, error) {
	var b strings.Builder
	for i, w := range argv {
		if strings.ContainsAny(w, "\x00\n\r") {
			return "", fmt.Errorf("argument %d (%q) holds a NUL or line break, which cannot be passed safely to a remote shell", i, w)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,+@%") == "" {
			b.WriteString(w) // nothing to quote; keeps logs and ps readable
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(w, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String(), nil
}
