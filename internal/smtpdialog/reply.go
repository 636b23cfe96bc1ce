package smtpdialog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits on what a server can make us read. A monitoring plugin talks to
// servers that may be broken or hostile: without them one endless line or
// an endless run of "250-" continuation lines would make us read, and
// allocate, without bound. RFC 5321 4.5.3.1.5 caps a reply line at 512
// octets; real servers stay far below the limits here (Postfix's longest
// line, the EHLO reply, is about 30 bytes a line and 15 lines).
const (
	MaxLineBytes  = 4096 // one reply line, CRLF included
	MaxReplyLines = 256  // lines of one multi-line reply
)

// Errors of the SMTP layer. They are wrapped with the step they happened in
// (*StepError); test with errors.Is.
var (
	ErrLineTooLong  = fmt.Errorf("reply line longer than %d bytes", MaxLineBytes)
	ErrReplyTooLong = fmt.Errorf("reply longer than %d lines", MaxReplyLines)
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

// replyReader reads replies from a bufio.Reader with the limits above.
type replyReader struct {
	r *bufio.Reader
}

// readLine reads one line ending in LF (a bare LF is accepted, as Postfix's
// own client does), without the line end. Memory stays bounded: ReadSlice
// returns at most one buffer at a time and we stop past MaxLineBytes.
func (rr replyReader) readLine() (string, error) {
	var line []byte
	for {
		frag, err := rr.r.ReadSlice('\n')
		if len(line)+len(frag) > MaxLineBytes {
			return "", ErrLineTooLong
		}
		line = append(line, frag...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// readReply reads every line of one reply.
func (rr replyReader) readReply() (Reply, error) {
	var rep Reply
	for n := 0; ; n++ {
		if n == MaxReplyLines {
			return rep, ErrReplyTooLong
		}
		line, err := rr.readLine()
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
