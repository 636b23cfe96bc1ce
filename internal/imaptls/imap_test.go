package imaptls

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/linereader"
)

func TestParseResponse(t *testing.T) {
	for line, want := range map[string]response{
		"* OK [CAPABILITY IMAP4rev1 IDLE] Dovecot ready.":     {Tag: "*", Status: "OK", Code: "CAPABILITY IMAP4rev1 IDLE", Text: "Dovecot ready."},
		"a1 no [AUTHENTICATIONFAILED] Authentication failed.": {Tag: "a1", Status: "NO", Code: "AUTHENTICATIONFAILED", Text: "Authentication failed."},
		"* BYE":          {Tag: "*", Status: "BYE"},
		"* 12 EXISTS":    {Tag: "*", Text: "12 EXISTS"},
		"220 smtp ESMTP": {Tag: "220", Text: "smtp ESMTP"},
	} {
		got := parseResponse(line)
		want.Line = line
		if got != want {
			t.Errorf("%q: got %+v, want %+v", line, got, want)
		}
	}
	caps := parseResponse("* OK [CAPABILITY imap4rev1 StartTLS] hi").capabilities()
	if strings.Join(caps, " ") != "IMAP4REV1 STARTTLS" || !hasCap(caps, "starttls") {
		t.Errorf("caps %q", caps)
	}
}

func TestQuoting(t *testing.T) {
	if got := quote(`a"b\c`); got != `"a\"b\\c"` {
		t.Errorf("quote: %s", got)
	}
	for s, ok := range map[string]bool{"plain": true, `with "quotes"`: true, "new\nline": false, "nul\x00": false, "ümlaut": false} {
		if quotable(s) != ok {
			t.Errorf("quotable(%q) = %v", s, !ok)
		}
	}
	if n, ok := literalSize("* 1 FETCH (BODY[] {42}"); !ok || n != 42 {
		t.Errorf("literal %d %v", n, ok)
	}
	if _, ok := literalSize("* OK {not a literal}"); ok {
		t.Error("not a literal")
	}
}

func TestReadLineLimit(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		server.Write([]byte("* OK short\r\n"))
		server.Write([]byte(strings.Repeat("x", maxLineBytes+10) + "\r\n"))
	}()
	c := newIMAPConn(client)
	if line, err := c.readLine(); err != nil || line != "* OK short" {
		t.Fatalf("%q %v", line, err)
	}
	if _, err := c.readLine(); !errors.Is(err, linereader.ErrLineTooLong) {
		t.Fatalf("want ErrLineTooLong, got %v", err)
	}
}

func TestMailboxName(t *testing.T) {
	// Examples from RFC 3501 section 5.1.3 and Dovecot's own encoding.
	for in, want := range map[string]string{
		"INBOX":              "INBOX",
		"Entwürfe":           "Entw&APw-rfe",
		"Tom & Jerry":        "Tom &- Jerry",
		"~peter/mail/台北/日本語": "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
		"Gelöschte Elemente": "Gel&APY-schte Elemente",
	} {
		if got := mailboxName(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
