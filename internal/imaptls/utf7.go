package imaptls

import (
	"encoding/base64"
	"strings"
	"unicode/utf16"
)

// mailboxName encodes a mailbox name in IMAP's modified UTF-7 (RFC 3501
// section 5.1.3), which IMAP4rev1 servers expect on the wire: "Entwürfe" is
// "Entw&APw-rfe". Sent as raw UTF-8, Dovecot answers SELECT with NO (unless
// the client enabled UTF8=ACCEPT, which this check does not), and the check
// would report a healthy mailbox as missing.
func mailboxName(name string) string {
	var b strings.Builder
	var pending []rune
	flush := func() {
		if len(pending) == 0 {
			return
		}
		units := utf16.Encode(pending)
		buf := make([]byte, 0, 2*len(units))
		for _, u := range units {
			buf = append(buf, byte(u>>8), byte(u))
		}
		b.WriteByte('&')
		b.WriteString(modifiedBase64.EncodeToString(buf))
		b.WriteByte('-')
		pending = pending[:0]
	}
	for _, r := range name {
		switch {
		case r == '&':
			flush()
			b.WriteString("&-")
		case r >= 0x20 && r <= 0x7e:
			flush()
			b.WriteRune(r)
		default:
			pending = append(pending, r)
		}
	}
	flush()
	return b.String()
}

// modifiedBase64 is base64 with "," for "/" and no padding (RFC 3501).
var modifiedBase64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)
