package tlsjudge

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/regfile"
)

// ChainCheck is the verdict on the served chain, gathered right after the
// handshake. Dates are judged separately (evaluate, against Now) so that an
// expired certificate from a trusted CA reads "expired", not "untrusted".
type ChainCheck struct {
	Name string // the name the leaf must cover
	// TrustErr is nil when the served chain (leaf + served intermediates)
	// leads to a trusted root, at a moment when all of it is within dates.
	TrustErr error
	// NameErr is nil when the leaf covers Name.
	NameErr error
	// AcceptedNow is what a client would conclude right now: trusted, name
	// covered, and every certificate within its dates. Nothing secret (a
	// password) is sent to a server a client would refuse.
	AcceptedNow bool
	// Verified is the chain as built to the root, when TrustErr is nil.
	Verified []*x509.Certificate
	// Refusals are what clients refuse on top of Go's verification (key
	// usage, weak keys, SHA-1, DSA); see keys.go.
	Refusals []Refusal
}

// LoadRoots returns the trust anchors: the PEM file given with --ca-file
// (only those, so a private CA is checked strictly), or the system roots.
func LoadRoots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			return nil, fmt.Errorf("system CA roots: %w", err)
		}
		return pool, nil
	}
	b, err := regfile.Read(caFile, regfile.DefaultMax)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", caFile)
	}
	return pool, nil
}

// VerifyChain is the whole of certificate verification; JudgeConnection calls it
// on every handshake, because the handshake itself is done without Go's built-in
// check (see ClientConfig). It does what crypto/tls would do, in three parts we
// can report separately:
//
//  1. chain: leaf -> served intermediates -> a root from roots, signatures,
//     CA flags, path length and server-auth EKU (x509.Certificate.Verify);
//  2. name: the leaf covers name (x509.Certificate.VerifyHostname, the same
//     function crypto/tls uses);
//  3. dates: Verify at now; if only dates fail, 1 is repeated at a moment
//     inside every certificate's validity to tell "expired" from
//     "untrusted" (evaluate reports the dates themselves).
func VerifyChain(served []*x509.Certificate, roots *x509.CertPool, name string, now time.Time) ChainCheck {
	cc := ChainCheck{Name: name}
	if len(served) == 0 {
		cc.TrustErr = errors.New("the server sent no certificate")
		cc.NameErr = cc.TrustErr
		return cc
	}
	leaf := served[0]
	intermediates := x509.NewCertPool()
	for _, c := range served[1:] {
		intermediates.AddCert(c)
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	cc.NameErr = leaf.VerifyHostname(name)
	chains, err := leaf.Verify(opts)
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		// Dates failed; is the chain otherwise sound? Try moments inside
		// every served certificate's validity: the start, the middle and
		// the end, as a CA that is only in the trust store may have its
		// own, shorter window (an expired root).
		// The served certificates' common window may be empty when an
		// extra one (an expired cross-certificate) is off the path; then
		// the leaf's own window is tried.
		for _, t := range append(commonValidity(served), commonValidity(served[:1])...) {
			opts.CurrentTime = t
			if chains, err = leaf.Verify(opts); err == nil {
				break
			}
		}
		cc.TrustErr = err
		if err == nil {
			cc.Verified = clientsPath(chains)
			// evaluate reports the dates of served certificates; a CA
			// that is only in the trust store (an expired root) must be
			// reported here, or nothing would say why clients refuse.
			for _, c := range cc.Verified[len(served):] {
				if now.After(c.NotAfter) || now.Before(c.NotBefore) {
					cc.TrustErr = fmt.Errorf("the trusted CA %q is outside its validity (%s to %s)",
						c.Subject.String(), c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly))
				}
			}
		}
		return cc // not accepted now: something is out of date
	}
	cc.TrustErr = err
	if err == nil {
		cc.Verified = clientsPath(chains)
	}
	cc.AcceptedNow = err == nil && cc.NameErr == nil
	return cc
}

// clientsPath picks, of the paths that verify, the one most clients take:
// the shortest to a trusted root (OpenSSL looks in the trust store before
// the served certificates, so it stops at the first trusted issuer, and
// browsers and NSS prefer short paths). The first found wins a tie.
func clientsPath(chains [][]*x509.Certificate) []*x509.Certificate {
	best := chains[0]
	for _, c := range chains[1:] {
		if len(c) < len(best) {
			best = c
		}
	}
	return best
}

// commonValidity returns moments at which every served certificate is
// within its dates (start, middle, end of the overlap), none if there is no
// overlap.
func commonValidity(chain []*x509.Certificate) []time.Time {
	from, to := chain[0].NotBefore, chain[0].NotAfter
	for _, c := range chain[1:] {
		if c.NotBefore.After(from) {
			from = c.NotBefore
		}
		if c.NotAfter.Before(to) {
			to = c.NotAfter
		}
	}
	if from.After(to) {
		return nil
	}
	return []time.Time{from, from.Add(to.Sub(from) / 2), to}
}

// LoadCertFile reads the certificate the server is configured with (the first
// certificate of a PEM file such as fullchain.pem, or a DER file).
func LoadCertFile(path string) (*x509.Certificate, error) {
	b, err := regfile.Read(path, regfile.DefaultMax)
	if err != nil {
		return nil, fmt.Errorf("--cert-file: %w", err)
	}
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("--cert-file %s: %w", path, err)
			}
			return c, nil
		}
	}
	c, err := x509.ParseCertificate(b)
	if err != nil {
		return nil, fmt.Errorf("--cert-file %s: no certificate in it (want PEM or DER)", path)
	}
	return c, nil
}
