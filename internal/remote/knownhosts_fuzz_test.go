package remote

import (
	"net"
	"strings"
	"testing"
)

// FuzzKnownHostsLine: no line panics the parser, and for every line both
// parsers accept, this one matches the same addresses as x/crypto (whose
// verdict is the one that counts).
func FuzzKnownHostsLine(f *testing.F) {
	k := keyText(testKey(f))
	for _, seed := range []string{
		"mail.example.org", "[mail.example.org]:2222", "*.example.org,!bad.example.org", "mail?.x", "!", ",", "[", "[]:", "[a]:b",
		"|1|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "@cert-authority *", "@revoked *", "2001:db8::1", "[::1]:22",
		"a:22", "*", "**", "?",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, hosts string) {
		line := hosts + " " + k
		l, err := parseKnownHostsLine(line)
		if err != nil || strings.ContainsAny(hosts, "\n\r") || l.Marker != "" {
			return
		}
		var addrs []string
		for _, p := range strings.Split(l.Hosts, ",") {
			p = strings.TrimPrefix(p, "!")
			h, port, err := net.SplitHostPort(p)
			if err != nil {
				h, port = p, "22"
			}
			h = strings.NewReplacer("*", "x", "?", "y").Replace(h)
			if h == "" {
				continue // no dial has an empty host (DialSSH refuses it)
			}
			addrs = append(addrs, net.JoinHostPort(h, port))
		}
		agreeWithXCrypto(t, testKey(t), []string{l.Hosts}, append(addrs, "other.example:22"))
	})
}
