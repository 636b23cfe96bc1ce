package smtpdialog

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func readFrom(s string) (Reply, error) {
	return newReplyReader(strings.NewReader(s)).readReply()
}

func TestReadReply(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Reply
		err      error
	}{
		{"one line", "220 mail.example.org ESMTP Postfix\r\n", Reply{220, []string{"mail.example.org ESMTP Postfix"}}, nil},
		{"multi-line", "250-mail.example.org\r\n250-PIPELINING\r\n250 CHUNKING\r\n", Reply{250, []string{"mail.example.org", "PIPELINING", "CHUNKING"}}, nil},
		{"code alone", "250\r\n", Reply{250, []string{""}}, nil},
		{"bare LF", "221 bye\n", Reply{221, []string{"bye"}}, nil},
		{"empty continuation text", "250-\r\n250 ok\r\n", Reply{250, []string{"", "ok"}}, nil},
		{"code changes mid-reply", "250-a\r\n251 b\r\n", Reply{}, ErrMalformed},
		{"first digit 6", "600 no\r\n", Reply{}, ErrMalformed},
		{"first digit 1", "199 no\r\n", Reply{}, ErrMalformed},
		{"second digit 6", "260 no\r\n", Reply{}, ErrMalformed},
		{"letters", "OK ready\r\n", Reply{}, ErrMalformed},
		{"no separator", "250x\r\n", Reply{}, ErrMalformed},
		{"IMAP greeting", "* OK IMAP ready\r\n", Reply{}, ErrMalformed},
		{"short", "25\r\n", Reply{}, ErrMalformed},
		{"EOF inside a reply", "250-a\r\n250-b", Reply{}, io.ErrUnexpectedEOF},
		{"EOF before any reply", "", Reply{}, io.EOF},
		{"line too long", "250 " + strings.Repeat("x", MaxLineBytes) + "\r\n", Reply{}, ErrLineTooLong},
		{"too many lines", strings.Repeat("250-x\r\n", MaxReplyLines) + "250 x\r\n", Reply{}, ErrReplyTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readFrom(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// The longest reply we accept is read whole; one line more is refused.
func TestReadReplyAtTheLimits(t *testing.T) {
	long := "250 " + strings.Repeat("x", MaxLineBytes-6) + "\r\n" // exactly MaxLineBytes
	if _, err := readFrom(long); err != nil {
		t.Fatalf("a line of exactly MaxLineBytes: %v", err)
	}
	lines := strings.Repeat("250-x\r\n", MaxReplyLines-1) + "250 x\r\n"
	if r, err := readFrom(lines); err != nil || len(r.Lines) != MaxReplyLines {
		t.Fatalf("MaxReplyLines lines: %d, %v", len(r.Lines), err)
	}
}

func TestParseEHLO(t *testing.T) {
	postfix := Reply{250, []string{"mail.mailchecks.test", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN",
		"STARTTLS", "AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"}}
	ext := ParseEHLO(postfix)
	if ext.Domain != "mail.mailchecks.test" || !ext.StartTLS || !ext.Pipelining || ext.Size != 10240000 {
		t.Errorf("parsed %+v", ext)
	}
	if !reflect.DeepEqual(ext.Auth, []string{"PLAIN", "LOGIN"}) || !ext.AuthAdvertised() {
		t.Errorf("AUTH %v", ext.Auth)
	}
	if !ext.Has("chunking") || !ext.Has("8BITMIME") || ext.Has("BINARYMIME") {
		t.Errorf("Has: %v", ext.Keywords)
	}

	bare := ParseEHLO(Reply{250, []string{"mx.example.org Hello", "size", "starttls"}})
	if !bare.StartTLS || bare.Size != 0 || !bare.Has("SIZE") || bare.AuthAdvertised() || bare.Domain != "mx.example.org" {
		t.Errorf("lower-case keywords, SIZE without limit: %+v", bare)
	}
	if ChooseMechanism(bare) != "" {
		t.Error("a mechanism chosen where AUTH is not advertised")
	}

	empty := ParseEHLO(Reply{250, []string{"mx", "AUTH"}})
	if !empty.AuthAdvertised() || len(empty.Auth) != 0 {
		t.Errorf("AUTH without mechanisms: %#v", empty.Auth)
	}
	if got := ChooseMechanism(ParseEHLO(Reply{250, []string{"mx", "AUTH CRAM-MD5 login"}})); got != "LOGIN" {
		t.Errorf("ChooseMechanism = %q, want LOGIN", got)
	}
	if got := ChooseMechanism(ext); got != "PLAIN" {
		t.Errorf("ChooseMechanism = %q, want PLAIN", got)
	}
}

// FuzzReadReply: whatever the server sends, the reader neither panics nor
// returns a reply that breaks its own rules.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"220 ok\r\n", "250-a\r\n250 b\r\n", "250-a\r\n251 b\r\n", "\x00\xff", "250"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := readFrom(in)
		if err != nil {
			return
		}
		if r.Code < 200 || r.Code > 559 || len(r.Lines) == 0 || len(r.Lines) > MaxReplyLines {
			t.Fatalf("%q gave %+v", in, r)
		}
		_ = ParseEHLO(r)
	})
}
