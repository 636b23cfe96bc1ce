package fail2ban

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strings"

	ogorek "github.com/kisielk/og-rek"
)

// terminator ends every request and every reply on fail2ban's control socket
// (fail2ban/protocol.py CSPROTO.END).
const terminator = "<F2B_END_COMMAND>"

// closeCommand asks the server to close the connection politely, as
// fail2ban-client does when it is done.
const closeCommand = "<F2B_CLOSE_COMMAND>"

// encodeRequest pickles one command the way fail2ban-client does: a list of
// strings. Protocol 2 is understood by every fail2ban (py2 and py3);
// StrictUnicode makes Go strings Python str rather than py2 bytestrings, so
// a jail name that is not ASCII still arrives intact.
func encodeRequest(args []string) ([]byte, error) {
	list := make([]any, len(args))
	for i, a := range args {
		list[i] = a
	}
	var buf bytes.Buffer
	enc := ogorek.NewEncoderWithConfig(&buf, &ogorek.EncoderConfig{Protocol: 2, StrictUnicode: true})
	if err := enc.Encode(list); err != nil {
		return nil, err
	}
	buf.WriteString(terminator)
	return buf.Bytes(), nil
}

// ServerError is a command the server received and refused: the reply was
// (1, exception). Class is the Python exception class, e.g.
// "fail2ban.exceptions.UnknownJailException".
type ServerError struct {
	Class   string
	Message string
}

func (e *ServerError) Error() string {
	if e.Message == "" {
		return e.Class
	}
	return e.Class + ": " + e.Message
}

// UnknownJail reports whether the server said the jail does not exist.
func (e *ServerError) UnknownJail() bool {
	return e.Class == "fail2ban.exceptions.UnknownJailException"
}

// errNotAReply marks a reply that decoded but is not the (code, value) shape
// fail2ban sends: the peer is not fail2ban, or not a version we understand.
var errNotAReply = errors.New("not a fail2ban reply")

// decodeReply unpickles one reply (without its terminator) into the value of
// a successful command, a *ServerError for a refused one, or an error saying
// why the bytes are not a fail2ban reply.
func decodeReply(raw []byte) (any, error) {
	builds, err := checkPickleCost(raw)
	if err != nil {
		return nil, err
	}
	raw = withoutBuild(raw, builds)
	dec := ogorek.NewDecoderWithConfig(bytes.NewReader(raw), &ogorek.DecoderConfig{})
	v, err := dec.Decode()
	if err != nil {
		return nil, fmt.Errorf("%w: corrupt pickle (%v)", errNotAReply, err)
	}
	v, err = normalize(v)
	if err != nil {
		return nil, err
	}
	// asyncserver.py answers a request it could not even unpickle with a bare
	// "ERROR: ..." string instead of a tuple.
	if s, ok := v.(string); ok {
		return nil, &ServerError{Class: "protocol error", Message: s}
	}
	t, ok := v.([]any)
	if !ok || len(t) != 2 {
		return nil, fmt.Errorf("%w: got %s, want a (code, value) pair", errNotAReply, describe(v))
	}
	code, ok := t[0].(int64)
	if !ok {
		return nil, fmt.Errorf("%w: reply code is %s", errNotAReply, describe(t[0]))
	}
	if code == 0 {
		return t[1], nil
	}
	if se, ok := t[1].(*ServerError); ok {
		return nil, se
	}
	return nil, &ServerError{Class: "error", Message: fmt.Sprint(t[1])}
}

// Bounds of one decoded reply. A pickle may reference one object many
// times (BINGET of a memoized value), so a few hundred bytes can describe a
// tree of 2^40 nodes; normalize copies the tree, so it counts what it
// copies. The largest real reply (a jail with 100000 bans) has ~100000
// values, nested 3 deep.
const (
	maxReplyValues = 1 << 21
	maxReplyDepth  = 32
)

var errReplyTooBig = fmt.Errorf("%w: more than %d values or nested deeper than %d", errNotAReply, maxReplyValues, maxReplyDepth)

// normalize turns og-rek's representation into plain Go values: tuples and
// lists become []any, integers int64, and the two REDUCE objects fail2ban
// sends become what they mean. IPAddr objects are pickled as
// builtins.str(ntoa) (ipdns.py __reduce__), exceptions as Class(args...).
func normalize(v any) (any, error) {
	n := normalizer{budget: maxReplyValues}
	out := n.value(v, 0)
	if n.budget < 0 {
		return nil, errReplyTooBig
	}
	return out, nil
}

type normalizer struct{ budget int }

func (n *normalizer) value(v any, depth int) any {
	if n.budget--; n.budget < 0 || depth > maxReplyDepth {
		n.budget = -1
		return nil
	}
	switch x := v.(type) {
	case ogorek.Tuple:
		if name, ok := fileSetName(x); ok {
			return name
		}
		return n.list([]any(x), depth)
	case []any:
		return n.list(x, depth)
	case int:
		return int64(x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case ogorek.None:
		return nil
	case ogorek.Call:
		args := n.list([]any(x.Args), depth)
		class := x.Callable.Module + "." + x.Callable.Name
		if class == "builtins.str" || class == "__builtin__.str" {
			if len(args) == 1 {
				if s, ok := args[0].(string); ok {
					return s
				}
			}
			return fmt.Sprint(args...)
		}
		msg := ""
		if len(args) > 0 {
			msg = fmt.Sprint(args[0])
		}
		return &ServerError{Class: class, Message: msg}
	}
	return v
}

func (n *normalizer) list(in []any, depth int) []any {
	if n.budget < len(in) {
		n.budget = -1
		return nil
	}
	out := make([]any, len(in))
	for i, e := range in {
		if out[i] = n.value(e, depth+1); n.budget < 0 {
			return nil
		}
	}
	return out
}

// describe names a decoded value's shape for error messages without dumping
// a possibly huge or hostile value.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		if len(x) > 60 {
			x = x[:60] + "…"
		}
		return fmt.Sprintf("the string %q", x)
	case []any:
		return fmt.Sprintf("a sequence of %d", len(x))
	}
	return fmt.Sprintf("a %T", v)
}

// fileSetName recognises a fail2ban 1.1.1 file: ignoreip entry as
// withoutBuild leaves it, (FileIPAddrSet(...), {"fileName": PATH, ...}),
// and prints it as fail2ban does (ipdns.py FileIPAddrSet.__repr__:
// "file:" + "/" for an absolute path + PATH).
func fileSetName(t ogorek.Tuple) (string, bool) {
	if len(t) != 2 {
		return "", false
	}
	call, ok := t[0].(ogorek.Call)
	if !ok || call.Callable.Module != "fail2ban.server.ipdns" || call.Callable.Name != "FileIPAddrSet" {
		return "", false
	}
	state, ok := t[1].(map[any]any)
	if !ok {
		return "", false
	}
	name, ok := state["fileName"].(string)
	if !ok || name == "" {
		return "", false
	}
	if strings.HasPrefix(name, "/") {
		return "file:/" + name, true
	}
	return "file:" + name, true
}
