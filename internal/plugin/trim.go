package plugin

import "io"

// trimTrailingSpace drops the spaces at the end of every line on the way
// out. go-nagios ends each line with CheckOutputEOL, " \n" (a workaround for
// old Nagios web UIs), so every line of our output would end with a space;
// neither Icinga nor NRPE needs it, and it shows in diffs, mail and
// terminals. Spaces are held until the next byte shows whether they end a
// line; spaces at the very end of the output are dropped.
type trimTrailingSpace struct {
	w       io.Writer
	pending int // spaces seen and not yet written
	buf     []byte
}

func (t *trimTrailingSpace) Write(p []byte) (int, error) {
	t.buf = t.buf[:0]
	for _, b := range p {
		switch b {
		case ' ':
			t.pending++
			continue
		case '\n':
			t.pending = 0
		default:
			for ; t.pending > 0; t.pending-- {
				t.buf = append(t.buf, ' ')
			}
		}
		t.buf = append(t.buf, b)
	}
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}
