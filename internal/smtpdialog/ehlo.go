package smtpdialog

import (
	"slices"
	"strconv"
	"strings"
)

// Extensions is what an EHLO reply advertises (RFC 5321 4.1.1.1: the first
// line is the server's name, every further line one keyword with
// parameters). Keywords are compared case-insensitively.
type Extensions struct {
	// Domain is the first line's first word: the name the server gives.
	Domain string
	// Keywords maps each upper-cased keyword to its parameters, as sent.
	Keywords map[string][]string
	// StartTLS is RFC 3207's STARTTLS.
	StartTLS bool
	// Auth is the SASL mechanisms of the AUTH keyword, upper case, in the
	// server's order (RFC 4954); nil when AUTH is not advertised.
	Auth []string
	// Size is SIZE's limit in bytes (RFC 1870): 0 when not advertised or
	// advertised without a number (no fixed limit).
	Size       int64
	Pipelining bool
}

// ParseEHLO reads the extensions out of an EHLO reply. The obsolete
// "AUTH=PLAIN LOGIN" form some servers still send besides AUTH (for
// Outlook Express) counts as AUTH too.
func ParseEHLO(r Reply) Extensions {
	ext := Extensions{Keywords: map[string][]string{}}
	if len(r.Lines) == 0 {
		return ext
	}
	if f := strings.Fields(r.Lines[0]); len(f) > 0 {
		ext.Domain = f[0]
	}
	for _, line := range r.Lines[1:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		kw, params := strings.ToUpper(f[0]), f[1:]
		if mechs, ok := strings.CutPrefix(kw, "AUTH="); ok {
			kw, params = "AUTH", append([]string{mechs}, params...)
		}
		ext.Keywords[kw] = append(ext.Keywords[kw], params...)
		switch kw {
		case "STARTTLS":
			ext.StartTLS = true
		case "PIPELINING":
			ext.Pipelining = true
		case "SIZE":
			if len(params) > 0 {
				ext.Size, _ = strconv.ParseInt(params[0], 10, 64)
			}
		case "AUTH":
			for _, m := range params {
				if m = strings.ToUpper(m); !slices.Contains(ext.Auth, m) {
					ext.Auth = append(ext.Auth, m)
				}
			}
			if ext.Auth == nil {
				ext.Auth = []string{} // advertised, but with no mechanism
			}
		}
	}
	return ext
}

// Has reports whether keyword (any case) was advertised.
func (e Extensions) Has(keyword string) bool {
	_, ok := e.Keywords[strings.ToUpper(keyword)]
	return ok
}

// AuthAdvertised reports whether AUTH was advertised at all.
func (e Extensions) AuthAdvertised() bool { return e.Auth != nil }
