package main

import (
	"path/filepath"
	"strconv"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() {
	addBench(30, "check_imaps_tls vs check_imap --ssl and check_ssl_cert -P imaps", imapsBench)
}

const (
	peerCheckIMAP    = "/usr/lib/nagios/plugins/check_imap"     // monitoring-plugins
	peerCheckSSLCert = "/usr/lib/nagios/plugins/check_ssl_cert" // monitoring-plugins-contrib
)

// imapsBench runs against one real Dovecot serving a leaf and an
// intermediate from a private root: ours verifies that whole chain, the name
// and the dates and reads the greeting; check_imap reads the greeting over
// TLS without verifying anything; check_ssl_cert verifies the chain (through
// openssl s_client) but never looks at IMAP. Network look-ups the peer would
// make (OCSP, CRL, SCT, proxies) are switched off: loopback only.
func imapsBench(r *runner) error {
	dir := filepath.Join(r.work, "imaps")
	root, leaf, err := benchChain(dir, "127.0.0.1", "127.0.0.2")
	if err != nil {
		return err
	}
	dv, err := sandbox.StartDovecot(sandbox.DovecotOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath})
	if err != nil {
		return err
	}
	defer dv.Stop()
	port := strconv.Itoa(dv.IMAPSPort)

	ours := []string{filepath.Join(r.bin, "check_imaps_tls"), "-H", "127.0.0.1", "-p", port, "--ca-file", root.CertPath}
	checkIMAP := []string{peerCheckIMAP, "-H", "127.0.0.1", "-p", port, "--ssl"}
	checkSSLCert := []string{peerCheckSSLCert, "-H", "127.0.0.1", "-p", port, "-P", "imaps",
		"--rootcert-file", root.CertPath, "--ignore-ocsp", "--ignore-sct", "--no-proxy", "-w", "30", "-c", "14"}
	// Parity is judged on the same work as check_imap's, one handshake
	// (--no-all-certificates); the default also asks, on a second
	// connection, for the certificate of the other key type: its own row.
	return tlsRows{
		server:       "the bench Dovecot",
		ours:         ours,
		peer:         checkIMAP,
		sslCert:      checkSSLCert,
		parityLabel:  "check_imaps_tls --no-all-certificates (full chain, name and dates verified, * OK greeting) vs check_imap --ssl (greeting only, nothing verified)",
		parityGoal:   "≤ 1.1",
		defaultLabel: "check_imaps_tls (default: both key types' certificates, two handshakes) vs check_imap --ssl",
		sslCertLabel: "check_imaps_tls vs check_ssl_cert -P imaps (same chain verified through openssl)",
		sslGoal:      "≥ 50×",
	}.run(r)
}
