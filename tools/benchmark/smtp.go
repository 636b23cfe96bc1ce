package main

import (
	"path/filepath"
	"strconv"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() {
	addBench(35, "check_smtp_tls vs check_smtp -S -D and check_ssl_cert -P smtp", smtpBench)
}

// peerCheckSMTP is monitoring-plugins' check_smtp (monitoring-plugins-basic,
// pulled in by the monitoring-plugins package scripts/deps.sh installs);
// check_ssl_cert is peerCheckSSLCert (imaps.go).
const peerCheckSMTP = "/usr/lib/nagios/plugins/check_smtp"

// smtpBench runs against one real Postfix's submission service (STARTTLS)
// serving a leaf and an intermediate from a private root, the IMAPS bench's
// chain: ours greets, sends EHLO, STARTTLS, verifies the whole chain, the
// name and the dates, and sends EHLO again over TLS; check_smtp -S -D
// greets, sends EHLO, STARTTLS and EHLO again over TLS and judges the
// leaf's expiry only (no chain, no name); check_ssl_cert -P smtp verifies
// the chain through openssl s_client -starttls smtp and never looks further
// at SMTP. Network look-ups check_ssl_cert would make (OCSP, SCT, proxies)
// are switched off: loopback only.
//
// Ours waits ~40 ms for Postfix's EHLO reply after a TLS 1.3 handshake that
// check_smtp does not wait for (docs/internals-smtp.md): the goals say so.
func smtpBench(r *runner) error {
	dir := filepath.Join(r.work, "smtp")
	root, leaf, err := benchChain(dir, "127.0.0.1")
	if err != nil {
		return err
	}
	p, err := sandbox.StartPostfix(sandbox.PostfixOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath})
	if err != nil {
		return err
	}
	defer p.Stop()
	port := strconv.Itoa(p.SubmissionPort)

	ours := []string{filepath.Join(r.bin, "check_smtp_tls"), "-H", "127.0.0.1", "-p", port, "--ca-file", root.CertPath}
	checkSMTP := []string{peerCheckSMTP, "-H", "127.0.0.1", "-p", port, "-S", "-D", "30,14"}
	checkSSLCert := []string{peerCheckSSLCert, "-H", "127.0.0.1", "-p", port, "-P", "smtp",
		"--rootcert-file", root.CertPath, "--ignore-ocsp", "--ignore-sct", "--no-proxy", "-w", "30", "-c", "14"}
	// Parity on check_smtp's work, one handshake (--no-all-certificates), as
	// the IMAPS row does; the default also asks, on a second connection, for
	// the certificate of the other key type: its own row.
	return tlsRows{
		server:       "the bench Postfix " + p.Version,
		ours:         ours,
		peer:         checkSMTP,
		sslCert:      checkSSLCert,
		parityLabel:  "check_smtp_tls --no-all-certificates (STARTTLS, full chain, name and dates verified, EHLO over TLS) vs check_smtp -S -D 30,14 (STARTTLS, EHLO over TLS, leaf expiry only)",
		parityGoal:   "≤ 1.1 (Postfix's 40 ms: internals-smtp.md)",
		defaultLabel: "check_smtp_tls (default: both key types' certificates, two STARTTLS handshakes) vs check_smtp -S -D 30,14",
		sslCertLabel: "check_smtp_tls vs check_ssl_cert -P smtp (same chain verified through openssl s_client -starttls smtp)",
		sslGoal:      "≥ 50× (Postfix's 40 ms: internals-smtp.md)",
	}.run(r)
}
