package tlsjudge

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
)

// LoadLocal reads what a check needs from this host before it touches the
// network: the trust anchors (--ca-file, or the system roots) and the
// certificate the server is configured with (--cert-file; nil without it).
// A failure is UNKNOWN, the check could not run: the result says why.
func LoadLocal(caFile, certFile string) (*x509.CertPool, *x509.Certificate, *plugin.Result) {
	roots, err := LoadRoots(caFile)
	if err != nil {
		r := plugin.UnknownResult(err, "give a readable PEM file with the CA certificate(s)")
		return nil, nil, &r
	}
	if certFile == "" {
		return roots, nil, nil
	}
	disk, err := LoadCertFile(certFile)
	if err != nil {
		r := plugin.UnknownResult(err, "run the check as a user that can read the certificate (e.g. through NRPE as nagios, in the group that owns it)")
		return nil, nil, &r
	}
	return roots, disk, nil
}

// ProblemSummary is the first line of a result that is not OK: the texts
// of the worst findings, two at most, and how many more there are.
func ProblemSummary(r plugin.Result) string {
	worst := r.State()
	var texts []string
	for _, fd := range r.Findings {
		if fd.State == worst {
			texts = append(texts, fd.Text)
		}
	}
	more := ""
	if len(texts) > 2 {
		more = fmt.Sprintf(" (+%d more)", len(texts)-2)
		texts = texts[:2]
	}
	return strings.Join(texts, "; ") + more
}
