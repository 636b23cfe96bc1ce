// Package linereader is the bounded reader under the IMAP and SMTP
// dialogues (internal/imaptls, internal/smtpdialog). A monitoring plugin
// talks to servers that may be broken or hostile: without bounds one
// endless line, or an endless run of lines, would make it read and
// allocate without end, and a server that stops sending would hold it
// past -t. The reader caps each line, caps what one exchange (a command's
// answer, an SMTP reply) may read in bytes and lines, and bounds the wait
// with the connection's deadline (Bound).
package linereader

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Errors of the reader, as the sentinels of a *LimitError: test with
// errors.Is.
var (
	ErrLineTooLong = errors.New("line too long")
	ErrTooMuch     = errors.New("answer too long")
)

// LimitError is a limit the server's data went past, in the protocol's
// words ("reply line longer than 4096 bytes").
type LimitError struct {
	Sentinel error // ErrLineTooLong or ErrTooMuch
	Text     string
}

func (e *LimitError) Error() string { return e.Text }
func (e *LimitError) Unwrap() error { return e.Sentinel }

// Limits bound what a server can make the reader take in. Zero means no
// bound of that kind (every caller sets LineBytes).
type Limits struct {
	Unit       string // what an exchange is called in errors: "response", "reply"
	LineBytes  int    // one line, line end included
	TotalBytes int    // one exchange (since Reset): lines and raw bytes
	Lines      int    // lines of one exchange
}

// Reader reads LF-terminated lines (CRLF or a bare LF, as Postfix's and
// Dovecot's own clients accept) and counted raw bytes within Limits.
type Reader struct {
	r      *bufio.Reader
	limits Limits
	used   int // bytes read in this exchange
	lines  int // lines read in this exchange
}

// New reads from r. The buffer is 4 KiB: ReadSlice hands over at most one
// buffer at a time, so a long line costs at most LineBytes of memory.
func New(r io.Reader, l Limits) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 4096), limits: l}
}

// Reset starts a new exchange: the byte and line budgets are full again.
func (r *Reader) Reset() { r.used, r.lines = 0, 0 }

// Buffered is what arrived and was not read yet: after a STARTTLS answer it
// must be 0 (anything there is an injection).
func (r *Reader) Buffered() int { return r.r.Buffered() }

// ReadLine reads one line, without its line end. A line over LineBytes, or
// one past the exchange's budget, is an error, not a reason to read on.
func (r *Reader) ReadLine() (string, error) {
	var line []byte
	for {
		frag, err := r.r.ReadSlice('\n')
		if r.limits.LineBytes > 0 && len(line)+len(frag) > r.limits.LineBytes {
			return "", &LimitError{ErrLineTooLong, fmt.Sprintf("%s line longer than %d bytes", r.limits.Unit, r.limits.LineBytes)}
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
	r.lines++
	if err := r.spend(len(line)); err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// ReadFull reads exactly n raw bytes (an IMAP literal) against the
// exchange's byte budget, refused before anything is allocated.
func (r *Reader) ReadFull(n int) ([]byte, error) {
	if err := r.spend(n); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r.r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// spend counts n bytes (and the lines so far) against the budgets.
func (r *Reader) spend(n int) error {
	r.used += n
	l := r.limits
	if (l.TotalBytes > 0 && r.used > l.TotalBytes) || (l.Lines > 0 && r.lines > l.Lines) {
		return &LimitError{ErrTooMuch, fmt.Sprintf("%s longer than %d bytes or %d lines", l.Unit, l.TotalBytes, l.Lines)}
	}
	return nil
}

// DefaultWait bounds a wait whose context has no deadline, so no caller can
// make a dialogue wait forever on a stalled server.
const DefaultWait = 10 * time.Second

// Bound makes ctx's deadline (or DefaultWait from now) the deadline of
// every read and write on conn, and a cancellation of ctx a deadline in the
// past, which unblocks a read in progress. Call the returned stop when the
// step is done.
func Bound(ctx context.Context, conn net.Conn) (stop func()) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultWait)
	}
	_ = conn.SetDeadline(deadline)
	after := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return func() { after() }
}
