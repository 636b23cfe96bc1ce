package smtpdialog

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/linereader"
)

// Limits on what a server can make us read. A monitoring plugin talks to
// servers that may be broken or hostile: without them one endless line or
// an endless run of "250-" continuation lines would make us read, and
// allocate, without bound. RFC 5321 4.5.3.1.5 caps a reply line at 512
// octets; real servers stay far below the limits here (Postfix's longest
// line, the EHLO reply, is about 30 bytes a line and 15 lines).
const (
	MaxLineBytes  = 4096     // one reply line, CRLF included
	MaxReplyLines = 256      // lines of one multi-line reply
	MaxReplyBytes = 64 << 10 // one reply, all lines
)

// limits are the shared bounded reader's (internal/linereader) for one reply.
var limits = linereader.Limits{Unit: "reply", LineBytes: MaxLineBytes, TotalBytes: MaxReplyBytes, Lines: MaxReplyLines}

// Errors of the SMTP layer. They are wrapped with the step they happened in
// (*StepError); test with errors.Is.
var (
	// ErrLineTooLong and ErrReplyTooLong are the reader's: a line over
	// MaxLineBytes, a reply over MaxReplyLines or MaxReplyBytes.
	ErrLineTooLong  = linereader.ErrLineTooLong
	ErrReplyTooLong = linereader.ErrTooMuch
	// ErrMalformed is a line that is not "ddd", "ddd text" or "ddd-text"
	// with a valid reply code (RFC 5321 4.2), or a multi-line reply whose
	// lines do not all carry the same code (4.2.1).
	ErrMalformed = errors.New("malformed SMTP reply")
)

// Reply is one complete SMTP reply: its code and the text of every line
// (without the code, the separator and the CRLF).
type Reply struct {
	Code  int
	Lines []string
}

// Text is the reply's lines joined with "; ", for messages.
func (r Reply) Text() string { return strings.Join(r.Lines, "; ") }

// String is the reply as the server sent it on one line: "250 a; b".
func (r Reply) String() string { return strconv.Itoa(r.Code) + " " + r.Text() }

// Positive reports a 2xx (completion) reply.
func (r Reply) Positive() bool { return r.Code >= 200 && r.Code < 300 }

// replyReader reads replies within limits.
type replyReader struct {
	r *linereader.Reader
}

func newReplyReader(r io.Reader) replyReader { return replyReader{linereader.New(r, limits)} }

// readReply reads every line of one reply. A bare LF ends a line too, as
// Postfix's own client accepts.
func (rr replyReader) readReply() (Reply, error) {
	var rep Reply
	rr.r.Reset()
	for n := 0; ; n++ {
		line, err := rr.r.ReadLine()
		if err != nil {
			return rep, err
		}
		code, more, text, err := parseReplyLine(line)
		if err != nil {
			return rep, err
		}
		if n > 0 && code != rep.Code {
			return rep, fmt.Errorf("%w: line %d has code %d, the reply began with %d", ErrMalformed, n+1, code, rep.Code)
		}
		rep.Code = code
		rep.Lines = append(rep.Lines, text)
		if !more {
			return rep, nil
		}
	}
}

// parseReplyLine splits "250-text", "250 text" or "250" (RFC 5321 4.2:
// Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code
// [ SP textstring ] CRLF). The code's first digit is 2 to 5, its second 0
// to 5 (4.2.1).
func parseReplyLine(line string) (code int, more bool, text string, err error) {
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' || line[2] < '0' || line[2] > '9' {
		return 0, false, "", fmt.Errorf("%w: %q", ErrMalformed, clip(line))
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	switch {
	case len(line) == 3:
		return code, false, "", nil
	case line[3] == '-':
		return code, true, line[4:], nil
	case line[3] == ' ':
		return code, false, line[4:], nil
	}
	return 0, false, "", fmt.Errorf("%w: %q", ErrMalformed, clip(line))
}

// clip shortens a server line quoted in an error.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
