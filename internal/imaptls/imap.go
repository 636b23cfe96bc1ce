package imaptls

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/linereader"
)

// Limits on what a server can make us read (the shared bounded reader,
// internal/linereader, enforces them). A monitoring plugin talks to servers
// that may be broken or hostile; without these a server could make us read
// forever (one endless line) or allocate without bound (a huge literal).
// They are generous for Dovecot, whose longest line (the post-login
// CAPABILITY) is about 700 bytes.
const (
	maxLineBytes     = 16 << 10 // one response line, literals excluded
	maxLiteralBytes  = 64 << 10 // one {n} literal inside a response
	maxResponseBytes = 1 << 20  // everything one command may answer
	maxResponseLines = 4096     // untagged lines one command may answer
)

// limits are the reader's bounds for one command's answer.
var limits = linereader.Limits{Unit: "response", LineBytes: maxLineBytes, TotalBytes: maxResponseBytes, Lines: maxResponseLines}

// Errors of the IMAP layer; tlsjudge.PhaseError wraps them. A line or an
// answer over the limits is the reader's linereader.ErrLineTooLong or
// linereader.ErrTooMuch.
var (
	ErrLiteralTooLong = &linereader.LimitError{Sentinel: linereader.ErrTooMuch, Text: fmt.Sprintf("literal longer than %d bytes", maxLiteralBytes)}
	// ErrInjected is a server that sent bytes after its STARTTLS OK and
	// before the handshake: they would be read as if they came over TLS
	// (the STARTTLS command injection class of bugs, CVE-2011-0411 and kin).
	ErrInjected = errors.New("server sent data between its STARTTLS OK and the TLS handshake")
)

// response is one parsed status response: "* OK [CODE args] text" or
// "a1 NO text".
type response struct {
	Tag    string // "*" for untagged
	Status string // OK, NO, BAD, BYE, PREAUTH (upper case); "" if not a status
	Code   string // the bracketed response code, without brackets
	Text   string // human-readable text after the code
	Line   string // the whole line, for messages
}

func parseResponse(line string) response {
	r := response{Line: line}
	tag, rest, _ := strings.Cut(line, " ")
	r.Tag = tag
	word, rest, _ := strings.Cut(rest, " ")
	switch w := strings.ToUpper(word); w {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
		r.Status = w
	default:
		r.Text = strings.TrimSpace(word + " " + rest)
		return r
	}
	if strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 0 {
			r.Code = rest[1:end]
			rest = strings.TrimSpace(rest[end+1:])
		}
	}
	r.Text = rest
	return r
}

// capabilities returns the CAPABILITY list carried by a response code, or nil.
func (r response) capabilities() []string {
	name, args, _ := strings.Cut(r.Code, " ")
	if !strings.EqualFold(name, "CAPABILITY") {
		return nil
	}
	return strings.Fields(strings.ToUpper(args))
}

// imapConn is the client side of one IMAP dialogue, on a plain or a TLS
// connection. It is deliberately small: net/textproto's shape, IMAP's framing.
type imapConn struct {
	conn net.Conn
	r    *linereader.Reader // reset per command
	tag  int
	// transcript keeps what was said, passwords redacted, for -v.
	transcript []string
	// alerts are the texts of [ALERT] responses, which RFC 3501 (7.1)
	// says a client must show to the user.
	alerts []string
}

// parse parses a line the server sent and notes an [ALERT] in it.
func (c *imapConn) parse(line string) response {
	r := parseResponse(line)
	if r.Status != "" && strings.EqualFold(r.Code, "ALERT") {
		c.alerts = append(c.alerts, r.Text)
	}
	return r
}

func newIMAPConn(c net.Conn) *imapConn {
	return &imapConn{conn: c, r: linereader.New(c, limits)}
}

// readLine reads one line within the limits, without the CRLF.
func (c *imapConn) readLine() (string, error) { return c.r.ReadLine() }

// readResponseLine reads one logical response line: a line that ends in a
// literal announcement "{n}" continues after n raw bytes. Literals are read
// into the line (bounded) because all we do with them is skip them.
func (c *imapConn) readResponseLine() (string, error) {
	line, err := c.readLine()
	if err != nil {
		return "", err
	}
	for {
		n, ok := literalSize(line)
		if !ok {
			return line, nil
		}
		if n > maxLiteralBytes {
			return "", ErrLiteralTooLong
		}
		buf, err := c.r.ReadFull(n)
		if err != nil {
			return "", err
		}
		more, err := c.readLine()
		if err != nil {
			return "", err
		}
		line += string(buf) + more
	}
}

// literalSize reports whether line ends with "{n}" and n.
func literalSize(line string) (int, bool) {
	if !strings.HasSuffix(line, "}") {
		return 0, false
	}
	open := strings.LastIndexByte(line, '{')
	if open < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(line[open+1:len(line)-1], "+"))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// greeting reads the server's first line.
func (c *imapConn) greeting() (response, error) {
	c.r.Reset()
	line, err := c.readLine()
	if err != nil {
		return response{}, err
	}
	c.transcript = append(c.transcript, "S: "+line)
	return c.parse(line), nil
}

// arg is one string argument of a command, sent as an IMAP quoted string
// or, when it cannot be one, a literal. The commands we send take no atoms
// beyond the command name.
type arg struct {
	str    string
	secret bool // redacted in the transcript
}

func astring(s string) arg      { return arg{str: s} }
func secretString(s string) arg { return arg{str: s, secret: true} }
func quotable(s string) bool    { return !strings.ContainsFunc(s, notQuotable) }
func notQuotable(r rune) bool   { return r == '\r' || r == '\n' || r == 0 || r > 0x7e }
func quote(s string) string     { return `"` + quoteReplacer.Replace(s) + `"` }

var quoteReplacer = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// command sends a tagged command and reads until its tagged response.
// Untagged lines are returned too. Strings that a quoted string cannot carry
// (CR, LF, NUL, 8-bit: RFC 3501 section 4.3) go as synchronising literals,
// which work on every server, LITERAL+ or not.
func (c *imapConn) command(name string, args ...arg) (response, []response, error) {
	c.tag++
	tag := "a" + strconv.Itoa(c.tag)
	c.r.Reset()
	var b strings.Builder
	var shown strings.Builder
	b.WriteString(tag + " " + name)
	shown.WriteString(b.String())
	for _, a := range args {
		b.WriteByte(' ')
		shown.WriteByte(' ')
		text := a.str
		if a.secret {
			shown.WriteString(`"***"`)
		} else {
			shown.WriteString(quote(text))
		}
		if quotable(text) {
			b.WriteString(quote(text))
			continue
		}
		// Literal: announce, wait for the server's "+", then send the bytes.
		fmt.Fprintf(&b, "{%d}\r\n", len(text))
		if _, err := io.WriteString(c.conn, b.String()); err != nil {
			return response{}, nil, err
		}
		b.Reset()
		for {
			line, err := c.readLine()
			if err != nil {
				return response{}, nil, err
			}
			if strings.HasPrefix(line, "+") {
				break
			}
			if r := c.parse(line); r.Tag == tag {
				// The server refused the literal; this is its answer.
				c.transcript = append(c.transcript, "C: "+shown.String(), "S: "+line)
				return r, nil, nil
			}
			// An untagged line may come first; it does not answer us.
		}
		b.WriteString(text)
	}
	b.WriteString("\r\n")
	c.transcript = append(c.transcript, "C: "+shown.String())
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		return response{}, nil, err
	}
	var untagged []response
	for {
		line, err := c.readResponseLine()
		if err != nil {
			// A server that says BYE and hangs up explains why: keep it.
			for _, u := range untagged {
				if u.Status == "BYE" {
					err = &ByeError{Err: err, Text: u.Text}
				}
			}
			return response{}, untagged, err
		}
		c.transcript = append(c.transcript, "S: "+line)
		r := c.parse(line)
		if r.Tag == tag {
			return r, untagged, nil
		}
		untagged = append(untagged, r)
	}
}

// send writes a tagged command without arguments and does not wait for its
// answer (LOGOUT, whose answer nothing judges).
func (c *imapConn) send(name string) error {
	c.tag++
	line := "a" + strconv.Itoa(c.tag) + " " + name
	c.transcript = append(c.transcript, "C: "+line)
	_, err := io.WriteString(c.conn, line+"\r\n")
	return err
}

// capability runs CAPABILITY and returns the advertised list (upper case).
func (c *imapConn) capability() ([]string, error) {
	done, untagged, err := c.command("CAPABILITY")
	if err != nil {
		return nil, err
	}
	if done.Status != "OK" {
		return nil, &StatusError{Command: "CAPABILITY", Resp: done}
	}
	var caps []string
	for _, u := range untagged {
		if name, rest, _ := strings.Cut(u.Line, " "); name == "*" {
			if w, list, _ := strings.Cut(rest, " "); strings.EqualFold(w, "CAPABILITY") {
				caps = append(caps, strings.Fields(strings.ToUpper(list))...)
			}
		}
	}
	return caps, nil
}

// StatusError is a command the server answered with NO, BAD or BYE.
type StatusError struct {
	Command string
	Resp    response
}

func (e *StatusError) Error() string {
	text := e.Resp.Status
	if e.Resp.Code != "" {
		text += " [" + e.Resp.Code + "]"
	}
	if e.Resp.Text != "" {
		text += " " + e.Resp.Text
	}
	return e.Command + " answered " + text
}

// ByeError is a connection the server closed after an untagged BYE.
type ByeError struct {
	Err  error
	Text string
}

func (e *ByeError) Error() string { return fmt.Sprintf("%v after BYE %q", e.Err, e.Text) }
func (e *ByeError) Unwrap() error { return e.Err }

// hasCap reports whether caps contains want (case-insensitive).
func hasCap(caps []string, want string) bool {
	for _, c := range caps {
		if strings.EqualFold(c, want) {
			return true
		}
	}
	return false
}
