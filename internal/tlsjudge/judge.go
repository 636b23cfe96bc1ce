package tlsjudge

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// Judge adds to r what a client concludes about s's TLS: the negotiated
// version against --min-tls, every certificate clients may be served
// (trust, what clients refuse, name, the dates of the verified path against
// the thresholds), and --cert-file (disk, nil without it) against the
// served certificate. prefix starts every finding ("127.0.0.1:993: " when
// several addresses were probed). It is pure: the clock is now. The fixes
// are in srv's words.
func Judge(r *plugin.Result, cfg Config, srv Server, now time.Time, disk *x509.Certificate, s Session, prefix string) {
	if !s.Handshaked {
		return
	}
	j := judge{r: r, cfg: cfg, srv: srv, now: now, s: s, prefix: prefix}
	j.version()
	j.judgeServed()
	if disk != nil && len(s.Chain) > 0 {
		j.diskCert(disk, s.Chain[0])
	}
}

// judge is one Judge call's inputs.
type judge struct {
	r      *plugin.Result
	cfg    Config
	srv    Server
	now    time.Time
	s      Session
	prefix string
}

func (j *judge) add(state plugin.State, text, fix string) {
	if j.prefix != "" && !strings.Contains(text, j.s.Addr.String()) {
		text = j.prefix + text
	}
	j.r.Add(state, text, fix)
}

// version judges the negotiated protocol and lists it in the long output.
func (j *judge) version() {
	s := j.s
	if min := j.cfg.minTLS(); s.TLSVersion < min {
		j.add(plugin.Critical, fmt.Sprintf("TLS handshake: negotiated %s, below --min-tls %s", tls.VersionName(s.TLSVersion), tls.VersionName(min)),
			"enable TLS 1.2 or newer: "+j.srv.MinProtocolFix+" (and an OpenSSL that has it), then "+j.srv.Reload)
	} else {
		j.add(plugin.OK, fmt.Sprintf("TLS handshake: %s in %s", tls.VersionName(s.TLSVersion), Seconds(s.Handshake)), "")
	}
	j.r.Detailf("%sTLS: %s, %s", j.prefix, tls.VersionName(s.TLSVersion), tls.CipherSuiteName(s.CipherSuite))
}

// diskCert compares the certificate the server is configured with
// (--cert-file) with the one it serves: a difference is a renewal the
// server was not reloaded after.
func (j *judge) diskCert(d, served *x509.Certificate) {
	if bytes.Equal(d.Raw, served.Raw) {
		j.add(plugin.OK, "certificate: the served certificate is the one in --cert-file", "")
		return
	}
	text := fmt.Sprintf("certificate: renewed on disk, %s (on disk: serial %s, not after %s; served: serial %s, not after %s)",
		j.srv.StaleCert, d.SerialNumber.Text(16), Stamp(d.NotAfter), served.SerialNumber.Text(16), Stamp(served.NotAfter))
	fix := j.srv.ReloadOrRestart + "; make it the renewal's deploy hook (certbot --deploy-hook '" + j.srv.DeployHook + "')"
	if !d.NotAfter.After(served.NotAfter) {
		// Not newer: more likely the wrong file than a missed reload.
		fix += "; the file on disk is not newer than the served certificate, so also check that --cert-file is the certificate " + j.srv.Name + " is configured with (" + j.srv.ShowCertSetting + ")"
	}
	j.add(plugin.Warning, text, fix)
}

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
	mainType := KeyTypeOf(s.Chain[0])
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
func (j *judge) judgeServed() {
	for _, sc := range servedCerts(j.s) {
		j.judgeCert(sc)
	}
	a := j.s.Alt
	if a == nil {
		return
	}
	switch a.Outcome {
	case AltOnlyTLS13:
		j.r.Detailf("%sthe server speaks only TLS 1.3, where a client cannot ask for a key type: if it also has a%s %s certificate, that one was not checked", j.prefix, article(a.Type), a.Type)
	case AltNone:
		j.r.Detailf("%sno %s certificate: the server has one certificate for every client", j.prefix, a.Type)
	case AltNoneOrOnlyTLS13:
		j.r.Detailf("%sno %s certificate over TLS 1.2 (the server closed a TLS 1.2 handshake offering only %s): it has none, or it speaks only TLS 1.3, where a client cannot ask for a key type", j.prefix, a.Type, a.Type)
	case AltFailed:
		j.add(plugin.Warning, fmt.Sprintf("certificate: could not ask for the %s certificate (a second handshake in TLS 1.2): %s", a.Type, RootCause(a.Err)),
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
func (j *judge) judgeCert(sc servedCert) {
	cc, cfg := sc.cc, j.cfg
	prefix := "certificate: "
	if sc.label != "" {
		prefix = "certificate: " + sc.label + ": "
	}
	switch {
	case cc.TrustErr != nil && len(cc.Refusals) > 0:
		// Go refused a SHA-1 or DSA signature: the refusals below name
		// the certificate and the fix.
		j.add(plugin.Critical, prefix+"chain not trusted: "+RootCause(cc.TrustErr), "see the certificate findings: "+cc.Refusals[0].FixFor(j.srv))
	case cc.TrustErr != nil:
		j.add(plugin.Critical, prefix+"chain not trusted: "+RootCause(cc.TrustErr), trustFix(cc.TrustErr, sc.chain, cfg, j.srv))
	case len(cc.Refusals) == 0:
		j.add(plugin.OK, prefix+"chain trusted ("+chainPath(cc.Verified)+")", "")
	}
	for _, rf := range cc.Refusals {
		j.add(plugin.Critical, prefix+strings.TrimPrefix(rf.Text, "certificate: "), rf.FixFor(j.srv))
	}
	if cc.NameErr != nil {
		j.add(plugin.Critical, fmt.Sprintf("%snot valid for %s (it covers %s)", prefix, cc.Name, covers(sc.chain)),
			fmt.Sprintf("issue a certificate that includes %s (e.g. certbot certonly --expand -d %s), set it as %s, then %s; or check with -H/--sni the name clients use", cc.Name, cc.Name, j.srv.CertSetting, j.srv.Reload))
	} else if len(sc.chain) > 0 {
		j.add(plugin.OK, prefix+"valid for "+cc.Name, "")
	}
	path := judgedPath(sc.chain, cc)
	for i, c := range path {
		j.judgeDates(prefix, pathRole(i, len(path), c), c)
		j.r.Detailf("%s%s", j.prefix, describeCert(sc.label, i, c, j.now))
	}
	for _, c := range offPath(sc.chain, path) {
		j.r.Debugf("%sserved but not in the path clients verify (not judged): subject %q, issuer %q, not after %s",
			j.prefix, c.Subject.String(), c.Issuer.String(), Stamp(c.NotAfter))
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
func (j *judge) judgeDates(prefix, role string, c *x509.Certificate) {
	now, cfg := j.now, j.cfg
	left, lifetime := c.NotAfter.Sub(now), c.NotAfter.Sub(c.NotBefore)
	who := fmt.Sprintf("%s %q (%s certificate)", role, c.Subject.String(), lifetimeName(lifetime))
	switch {
	case now.Before(c.NotBefore):
		j.add(plugin.Critical, fmt.Sprintf("%s%s is not valid before %s", prefix, who, Stamp(c.NotBefore)),
			"check the clock on the mail host and here (timedatectl), or serve a certificate that is already valid")
	case left < 0:
		j.add(plugin.Critical, fmt.Sprintf("%s%s expired on %s (%s ago)", prefix, who, Stamp(c.NotAfter), humanLeft(left)),
			"renew it (e.g. certbot renew), then "+j.srv.ReloadOrRestart)
	case cfg.Critical.Alert(left, lifetime):
		j.add(plugin.Critical, fmt.Sprintf("%s%s expires in %s (%s), below -c %s", prefix, who, humanLeft(left), Stamp(c.NotAfter), thresholdText(cfg.Critical, lifetime)),
			"renew it now (e.g. certbot renew), then "+j.srv.Reload)
	case cfg.Warning.Alert(left, lifetime):
		j.add(plugin.Warning, fmt.Sprintf("%s%s expires in %s (%s), below -w %s", prefix, who, humanLeft(left), Stamp(c.NotAfter), thresholdText(cfg.Warning, lifetime)),
			"renew it (e.g. certbot renew; is the renewal timer running? systemctl list-timers), then "+j.srv.Reload)
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
