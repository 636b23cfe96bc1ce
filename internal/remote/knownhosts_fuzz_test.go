package remote

import (
	"net"
	"strings"
	"testing"
)

// FuzzKnownHostsLine: no line panics the parser; the parser refuses
// exactly the hosts fields x/crypto's knownhosts skips; and for every
// address (derived from the patterns, or fuzzed), the lines x/crypto
// matches are lines this parser read, and the handshake offers key types
// exactly when x/crypto knows the host. x/crypto's verdict is the one that
// counts; make fuzz runs this target longer than the others (FUZZTIME_LONG).
func FuzzKnownHostsLine(f *testing.F) {
	for _, seed := range []string{
		"mail.example.org", "[mail.example.org]:2222", "*.example.org,!bad.example.org", "mail?.x", "!", ",", "[", "[]:", "[a]:b",
		"|1|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "|1|AAAA|AAAA", "@cert-authority *", "@revoked *", "2001:db8::1", "[::1]:22",
		"a:22", "*", "**", "?", ":,]", "a*", "]:22", "[a]:22:1",
	} {
		f.Add(seed, "a")
	}
	f.Fuzz(func(t *testing.T, hosts, probe string) {
		if strings.ContainsAny(hosts+probe, "\n\r") || len(strings.Fields(hosts)) != 1 || strings.HasPrefix(hosts, "#") {
			return
		}
		addrs := []string{"other.example:22", net.JoinHostPort(probe, "22"), net.JoinHostPort(probe, "2222")}
		for _, p := range strings.Split(hosts, ",") {
			p = strings.TrimPrefix(p, "!")
			h, port, err := net.SplitHostPort(p)
			if err != nil {
				h, port = p, "22"
			}
			// A wildcard stands for a run, or for nothing.
			for _, fill := range []string{"x", ""} {
				if h := strings.NewReplacer("*", fill, "?", "y").Replace(h); h != "" {
					addrs = append(addrs, net.JoinHostPort(h, port))
				}
			}
		}
		agreeWithXCrypto(t, testKey(t), []string{hosts}, addrs)
	})
}
