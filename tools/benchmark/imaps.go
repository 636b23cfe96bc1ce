package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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
	root, err := sandbox.NewRootCA(dir, "Bench Root")
	if err != nil {
		return err
	}
	inter, err := root.NewIntermediate("Bench Intermediate")
	if err != nil {
		return err
	}
	leaf, err := inter.Issue("mail", sandbox.Leaf{CommonName: "localhost", DNSNames: []string{"localhost"},
		IPs: []string{"127.0.0.1", "127.0.0.2"}, NotAfter: time.Now().AddDate(0, 0, 200)})
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
	// Each must succeed before it is timed: a fast failure proves nothing.
	for _, argv := range [][]string{ours, checkIMAP, checkSSLCert} {
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		first, _, _ := strings.Cut(string(out), "\n")
		fmt.Printf("%s → %s\n", filepath.Base(argv[0]), first)
		if err != nil {
			return fmt.Errorf("%s does not pass against the bench Dovecot: %v\n%s", argv[0], err, out)
		}
	}

	o, p, err := r.compare("check_imaps_tls (full chain verified + greeting) vs check_imap --ssl (Dovecot, IMAPS)",
		"≥ 1× (no slower)", nil, 100, strings.Join(ours, " "), strings.Join(checkIMAP, " "))
	if err != nil {
		return err
	}
	fmt.Printf("ours %.2f ms, check_imap %.2f ms\n", o.Median*1000, p.Median*1000)
	o, p, err = r.compare("check_imaps_tls vs check_ssl_cert -P imaps (Dovecot, same chain)",
		"≥ 50×", nil, 10, strings.Join(ours, " "), strings.Join(checkSSLCert, " "))
	if err != nil {
		return err
	}
	fmt.Printf("ours %.2f ms, check_ssl_cert %.2f ms\n", o.Median*1000, p.Median*1000)

	// hyperfine 1.15 does not report memory: /usr/bin/time does. %M is the
	// largest resident set of the process, or for a script of the largest
	// single process it waited for (not the sum of the tree).
	var cells []string
	for _, c := range []struct {
		name string
		argv []string
	}{{"check_imaps_tls", ours}, {"check_imap", checkIMAP}, {"check_ssl_cert", checkSSLCert}} {
		kb, err := imapsPeakRSS(c.argv, 5)
		if err != nil {
			return err
		}
		cells = append(cells, fmt.Sprintf("%s %.1f MiB", c.name, float64(kb)/1024))
	}
	r.note("| peak RSS, IMAPS (max of 5 runs, `/usr/bin/time -f %M`) | " + cells[0] + " | " + cells[1] + "; " + cells[2] + " | | |")
	return nil
}

// imapsPeakRSS runs argv n times under /usr/bin/time and returns the largest
// maximum resident set size, in KiB.
func imapsPeakRSS(argv []string, n int) (int, error) {
	peak := 0
	for i := 0; i < n; i++ {
		out := filepath.Join(os.TempDir(), fmt.Sprintf("mailchecks-rss-%d", os.Getpid()))
		cmd := exec.Command("/usr/bin/time", append([]string{"-o", out, "-f", "%M"}, argv...)...)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		_ = cmd.Run() // the plugin's exit code is its state; time still writes
		b, err := os.ReadFile(out)
		os.Remove(out)
		if err != nil {
			return 0, fmt.Errorf("/usr/bin/time %s: %v: %s", argv[0], err, buf.String())
		}
		fields := strings.Fields(string(b))
		if len(fields) == 0 {
			return 0, fmt.Errorf("/usr/bin/time %s: no output", argv[0])
		}
		kb, err := strconv.Atoi(fields[len(fields)-1])
		if err != nil {
			return 0, fmt.Errorf("/usr/bin/time %s: %q", argv[0], b)
		}
		peak = max(peak, kb)
	}
	return peak, nil
}
