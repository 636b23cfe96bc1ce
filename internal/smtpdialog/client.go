package smtpdialog

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/linereader"
)

// DefaultStepTimeout bounds a step whose context has no deadline, so that
// no caller can make the dialogue wait forever on a stalled server.
const DefaultStepTimeout = 10 * time.Second

// Step names a step of the dialogue; errors and the caller's timings are
// per step, because "no greeting" and "STARTTLS refused" have different
// causes and fixes.
type Step string

// The steps, in dialogue order.
const (
	StepGreeting Step = "greeting"
	StepEHLO     Step = "EHLO"
	StepStartTLS Step = "STARTTLS"
	StepTLS      Step = "TLS handshake"
	StepAuth     Step = "AUTH"
	StepQuit     Step = "QUIT"
)

// Errors the dialogue itself raises (besides the reader's ErrLineTooLong,
// ErrReplyTooLong, ErrMalformed and the connection's own errors).
var (
	// ErrInjected is a server (or someone on the path) that sent bytes
	// after its 220 reply to STARTTLS and before the TLS handshake: a
	// client that kept them would read them as if they came over TLS
	// (CVE-2011-0411 and the 2021 STARTTLS research, "NO STARTTLS").
	ErrInjected = errors.New("the server sent data after its 220 reply to STARTTLS, before the TLS handshake")
	// ErrUnsolicited is data waiting before STARTTLS was even sent: a reply
	// sent ahead of time would be taken for the answer to STARTTLS.
	ErrUnsolicited = errors.New("the server sent data nobody asked for before STARTTLS")
	// ErrNotOverTLS refuses AUTH on a connection without a completed TLS
	// handshake: the password is never sent in clear text.
	ErrNotOverTLS = errors.New("AUTH refused: the connection is not TLS-protected, the password is not sent")
	// ErrMechanism is a SASL mechanism this client does not speak.
	ErrMechanism = errors.New("SASL mechanism not supported (PLAIN and LOGIN are)")
	// ErrBadArgument is an EHLO name, user or password the protocol cannot
	// carry (CR, LF, NUL, spaces in the EHLO name).
	ErrBadArgument = errors.New("argument not allowed in SMTP")
)

// StepError is a failure in one step of the dialogue.
type StepError struct {
	Step Step
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("%s: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// ReplyError is a command (or the greeting) the server answered with a
// code other than the one the dialogue goes on with: a 421 or 554
// greeting, 454 to STARTTLS, 535 to AUTH.
type ReplyError struct {
	Command string // "greeting", "EHLO", "STARTTLS", "AUTH PLAIN"…
	Reply   Reply
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("%s answered %s", e.Command, clip(e.Reply.String()))
}

// Client is the client side of one SMTP dialogue over a connection the
// caller dialled (and, for implicit TLS, wrapped in tls.Client). It sends
// nothing on its own: each method is one step, so the caller can time and
// judge each. It never pipelines.
type Client struct {
	conn       net.Conn
	rr         replyReader
	tls        *tls.Conn // non-nil once the dialogue runs over TLS
	transcript []string
}

// New starts a dialogue on conn. A *tls.Conn is implicit TLS (SMTPS):
// the handshake happens on the first read if the caller has not done it.
func New(conn net.Conn) *Client {
	c := &Client{conn: conn, rr: newReplyReader(conn)}
	if tc, ok := conn.(*tls.Conn); ok {
		c.tls = tc
	}
	return c
}

// Transcript is what was said so far, one line each ("S: 220 …",
// "C: EHLO …"), passwords redacted: for -v output.
func (c *Client) Transcript() []string { return c.transcript }

// TLS is the TLS connection the dialogue runs over, nil in clear text.
func (c *Client) TLS() *tls.Conn { return c.tls }

// Greeting reads the server's greeting, which must be 220 (RFC 5321
// 4.3.1); a 421 (busy, going away) or 554 (no service for you) greeting is
// a *ReplyError carrying it.
func (c *Client) Greeting(ctx context.Context) (Reply, error) {
	defer c.bound(ctx)()
	rep, err := c.read(ctx)
	if err == nil && rep.Code != 220 {
		err = &ReplyError{Command: "greeting", Reply: rep}
	}
	return rep, c.fail(StepGreeting, err)
}

// Hello sends EHLO name and returns the advertised extensions. Over TLS it
// is the second EHLO RFC 3207 4.2 requires: what was advertised before the
// handshake must be forgotten, as anyone on the path could have written it.
func (c *Client) Hello(ctx context.Context, name string) (Extensions, Reply, error) {
	defer c.bound(ctx)()
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return Extensions{}, Reply{}, c.fail(StepEHLO, fmt.Errorf("%w: EHLO name %q", ErrBadArgument, name))
	}
	rep, err := c.command(ctx, "EHLO "+name, "EHLO "+name)
	if err == nil && rep.Code != 250 {
		err = &ReplyError{Command: "EHLO", Reply: rep}
	}
	if err != nil {
		return Extensions{}, rep, c.fail(StepEHLO, err)
	}
	return ParseEHLO(rep), rep, nil
}

// RequestTLS sends STARTTLS and returns once the server answered 220 and
// sent nothing after it: the connection is then ready for the caller's
// handshake (then UseTLS). StartTLS does both.
func (c *Client) RequestTLS(ctx context.Context) error {
	defer c.bound(ctx)()
	if c.rr.r.Buffered() > 0 {
		return c.fail(StepStartTLS, ErrUnsolicited)
	}
	rep, err := c.command(ctx, "STARTTLS", "STARTTLS")
	if err == nil && rep.Code != 220 {
		err = &ReplyError{Command: "STARTTLS", Reply: rep}
	}
	// Whatever arrived with the 220 is refused, never handed to TLS nor
	// read as a reply: the injection the STARTTLS CVEs exploited.
	if err == nil && c.rr.r.Buffered() > 0 {
		err = ErrInjected
	}
	return c.fail(StepStartTLS, err)
}

// UseTLS continues the dialogue over tc, a TLS client the caller made on
// this connection after RequestTLS (and handshook, or not: then the first
// read does it).
func (c *Client) UseTLS(tc *tls.Conn) {
	c.tls, c.conn = tc, tc
	c.rr = newReplyReader(tc)
	c.transcript = append(c.transcript, "-- TLS --")
}

// StartTLS is RequestTLS, then a handshake with cfg (made by the caller:
// this package judges no certificate), then UseTLS. It returns the
// handshake's state; on a handshake error the state is what was learnt.
func (c *Client) StartTLS(ctx context.Context, cfg *tls.Config) (tls.ConnectionState, error) {
	if err := c.RequestTLS(ctx); err != nil {
		return tls.ConnectionState{}, err
	}
	tc := tls.Client(c.conn, cfg)
	hctx, cancel := stepContext(ctx)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return tc.ConnectionState(), c.fail(StepTLS, err)
	}
	c.UseTLS(tc)
	c.transcript[len(c.transcript)-1] = "-- " + tls.VersionName(tc.ConnectionState().Version) + " handshake done --"
	return tc.ConnectionState(), nil
}

// Auth logs in with mechanism "PLAIN" (RFC 4616, one round trip) or
// "LOGIN" (the draft-murchison-sasl-login exchange Outlook made common),
// only over a completed TLS handshake. A refusal (535 wrong credentials,
// 454 temporary failure, 534 mechanism too weak…) is a *ReplyError.
func (c *Client) Auth(ctx context.Context, mechanism, user, password string) (Reply, error) {
	defer c.bound(ctx)()
	if c.tls == nil || !c.tls.ConnectionState().HandshakeComplete {
		return Reply{}, c.fail(StepAuth, ErrNotOverTLS)
	}
	var rep Reply
	var err error
	switch strings.ToUpper(mechanism) {
	case "PLAIN":
		rep, err = c.authPlain(ctx, user, password)
	case "LOGIN":
		rep, err = c.authLogin(ctx, user, password)
	default:
		err = fmt.Errorf("%w: %q", ErrMechanism, mechanism)
	}
	return rep, c.fail(StepAuth, err)
}

// Quit sends QUIT and reads the 221, so the server logs a clean end.
func (c *Client) Quit(ctx context.Context) (Reply, error) {
	defer c.bound(ctx)()
	rep, err := c.command(ctx, "QUIT", "QUIT")
	if err == nil && rep.Code != 221 {
		err = &ReplyError{Command: "QUIT", Reply: rep}
	}
	return rep, c.fail(StepQuit, err)
}

// command sends one line (shown as shown in the transcript) and reads the
// reply.
func (c *Client) command(ctx context.Context, line, shown string) (Reply, error) {
	c.transcript = append(c.transcript, "C: "+shown)
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		return Reply{}, ctxErr(ctx, err)
	}
	return c.read(ctx)
}

// read reads one reply and notes it in the transcript.
func (c *Client) read(ctx context.Context) (Reply, error) {
	rep, err := c.rr.readReply()
	for i, l := range rep.Lines {
		sep := "-"
		if i == len(rep.Lines)-1 && err == nil {
			sep = " "
		}
		c.transcript = append(c.transcript, fmt.Sprintf("S: %03d%s%s", rep.Code, sep, l))
	}
	return rep, ctxErr(ctx, err)
}

// fail wraps err (if any) with the step.
func (c *Client) fail(step Step, err error) error {
	if err == nil {
		return nil
	}
	return &StepError{Step: step, Err: err}
}

// bound applies ctx's deadline (or DefaultStepTimeout) to the connection
// for one step, and cuts the step short when ctx is cancelled. The
// returned func ends that.
func (c *Client) bound(ctx context.Context) func() {
	return linereader.Bound(ctx, c.conn)
}

// stepContext is ctx with DefaultStepTimeout when it has no deadline.
func stepContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultStepTimeout)
}

// ctxErr makes an error caused by ctx's cancellation say so.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}
