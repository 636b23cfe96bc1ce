package imaptls

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// servedCert is one certificate a server serves, with what was concluded
// about it: the main handshake's, or the other key type's (AltCert).
type servedCert struct {
	label string // "" when the server has one certificate; else "the ECDSA certificate (served to ...)"
	chain []*x509.Certificate
	cc    ChainCheck
}

// servedCerts lists the certificates clients may be served: the main one
// and, when the server has one, the other key type's.
func servedCerts(s Session) []servedCert {
	main := servedCert{chain: s.Chain, cc: s.Cert}
	if s.Alt == nil || s.Alt.Outcome != AltServed || len(s.Chain) == 0 {
		return []servedCert{main}
	}
	mainType := keyTypeOf(s.Chain[0])
	main.label = fmt.Sprintf("the %s certificate (%s)", mainType, mainType.clients())
	alt := servedCert{chain: s.Alt.Chain, cc: s.Alt.Cert,
		label: fmt.Sprintf("the %s certificate (%s)", s.Alt.Type, s.Alt.Type.clients())}
	if mainType == KeyECDSA {
		return []servedCert{main, alt}
	}
	return []servedCert{alt, main} // ECDSA first: most clients get it
}

// judgeServed judges every certificate clients may be served and says what
// could not be asked for.
func (e *sessionEval) judgeServed() {
	for _, sc := range servedCerts(e.s) {
		e.judgeCert(sc)
	}
	a := e.s.Alt
	if a == nil {
		return
	}
	switch a.Outcome {
	case AltOnlyTLS13:
		e.r.Detailf("%sthe server speaks only TLS 1.3, where a client cannot ask for a key type: if it also has a%s %s certificate, that one was not checked", e.prefix, article(a.Type), a.Type)
	case AltNone:
		e.r.Detailf("%sno %s certificate: the server has one certificate for every client", e.prefix, a.Type)
	case AltNoneOrOnlyTLS13:
		e.r.Detailf("%sno %s certificate over TLS 1.2 (the server closed a TLS 1.2 handshake offering only %s): it has none, or it speaks only TLS 1.3, where a client cannot ask for a key type", e.prefix, a.Type, a.Type)
	case AltFailed:
		e.add(plugin.Warning, fmt.Sprintf("certificate: could not ask for the %s certificate (a second handshake in TLS 1.2): %s", a.Type, rootCause(a.Err)),
			"if the server has one, check it with: openssl s_client -connect HOST:PORT -sigalgs "+sigalgsFor(a.Type)+"; or run with --no-all-certificates")
	}
}

func article(k KeyType) string {
	if k == KeyECDSA {
		return "n"
	}
	return ""
}

func sigalgsFor(k KeyType) string {
	if k == KeyECDSA {
		return "ECDSA+SHA256"
	}
	return "RSA-PSS+SHA256:RSA+SHA256"
}

// judgeCert judges one served certificate: trust, what clients refuse, the
// name, and the dates of the path clients verify (leaf to trusted root).
// Certificates served beside that path (an old cross-certificate) are
// listed with -v and not judged: no client uses them.
func (e *sessionEval) judgeCert(sc servedCert) {
	cc, cfg := sc.cc, e.cfg
	prefix := "certificate: "
	if sc.label != "" {
		prefix = "certificate: " + sc.label + ": "
	}
	switch {
	case cc.TrustErr != nil && len(cc.Refusals) > 0:
		// Go refused a SHA-1 or DSA signature: the refusals below name
		// the certificate and the fix.
		e.add(plugin.Critical, prefix+"chain not trusted: "+rootCause(cc.TrustErr), "see the certificate findings: "+cc.Refusals[0].Fix)
	case cc.TrustErr != nil:
		e.add(plugin.Critical, prefix+"chain not trusted: "+rootCause(cc.TrustErr), trustFix(cc.TrustErr, sc.chain, cfg))
	case len(cc.Refusals) == 0:
		e.add(plugin.OK, prefix+"chain trusted ("+chainPath(cc.Verified)+")", "")
	}
	for _, rf := range cc.Refusals {
		e.add(plugin.Critical, prefix+strings.TrimPrefix(rf.Text, "certificate: "), rf.Fix)
	}
	if cc.NameErr != nil {
		e.add(plugin.Critical, fmt.Sprintf("%snot valid for %s (it covers %s)", prefix, cc.Name, covers(sc.chain)),
			fmt.Sprintf("issue a certificate that includes %s (e.g. certbot certonly --expand -d %s), set it as "+settingCert+", then doveadm reload; or check with -H/--sni the name clients use", cc.Name, cc.Name))
	} else if len(sc.chain) > 0 {
		e.add(plugin.OK, prefix+"valid for "+cc.Name, "")
	}
	path := judgedPath(sc.chain, cc)
	for i, c := range path {
		e.judgeDates(prefix, pathRole(i, len(path), c), c)
		e.r.Detailf("%s%s", e.prefix, describeCert(sc.label, i, c, e.f.Now))
	}
	for _, c := range offPath(sc.chain, path) {
		e.r.Debugf("%sserved but not in the path clients verify (not judged): subject %q, issuer %q, not after %s",
			e.prefix, c.Subject.String(), c.Issuer.String(), stamp(c.NotAfter))
	}
}

// judgedPath is the verified path, leaf to trusted root; when nothing
// verified, the chain as served (it is CRITICAL anyway, and its dates may
// be why).
func judgedPath(served []*x509.Certificate, cc ChainCheck) []*x509.Certificate {
	if len(cc.Verified) > 0 {
		return cc.Verified
	}
	return served
}

// offPath is what was served but is not in path.
func offPath(served, path []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range served {
		in := false
		for _, p := range path {
			in = in || c.Equal(p)
		}
		if !in {
			out = append(out, c)
		}
	}
	return out
}

func pathRole(i, n int, c *x509.Certificate) string {
	switch {
	case i == 0:
		return "certificate"
	case i == n-1 && selfSigned(c):
		return "root certificate"
	}
	return "intermediate certificate"
}

// judgeDates judges one certificate of the path against the thresholds,
// which scale with its lifetime (see Expiry).
func (e *sessionEval) judgeDates(prefix, role string, c *x509.Certificate) {
	now, cfg := e.f.Now, e.cfg
	left, lifetime := c.NotAfter.Sub(now), c.NotAfter.Sub(c.NotBefore)
	who := fmt.Sprintf("%s %q (%s certificate)", role, c.Subject.String(), lifetimeName(lifetime))
	switch {
	case now.Before(c.NotBefore):
		e.add(plugin.Critical, fmt.Sprintf("%s%s is not valid before %s", prefix, who, stamp(c.NotBefore)),
			"check the clock on the mail host and here (timedatectl), or serve a certificate that is already valid")
	case left < 0:
		e.add(plugin.Critical, fmt.Sprintf("%s%s expired on %s (%s ago)", prefix, who, stamp(c.NotAfter), humanLeft(left)),
			"renew it (e.g. certbot renew), then doveadm reload (or systemctl reload dovecot)")
	case cfg.Critical.Alert(left, lifetime):
		e.add(plugin.Critical, fmt.Sprintf("%s%s expires in %s (%s), below -c %s", prefix, who, humanLeft(left), stamp(c.NotAfter), thresholdText(cfg.Critical, lifetime)),
			"renew it now (e.g. certbot renew), then doveadm reload")
	case cfg.Warning.Alert(left, lifetime):
		e.add(plugin.Warning, fmt.Sprintf("%s%s expires in %s (%s), below -w %s", prefix, who, humanLeft(left), stamp(c.NotAfter), thresholdText(cfg.Warning, lifetime)),
			"renew it (e.g. certbot renew; is the renewal timer running? systemctl list-timers), then doveadm reload")
	}
}

// thresholdText is the threshold as given and, when it depends on the
// lifetime, what it came to: "20% of the lifetime, at most 30 days = 18 days".
func thresholdText(x Expiry, lifetime time.Duration) string {
	b, ok := x.bound(lifetime)
	if !ok || x.Share == 0 {
		return x.String()
	}
	return x.String() + " = " + humanLeft(b)
}
