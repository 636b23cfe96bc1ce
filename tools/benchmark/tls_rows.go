package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// tlsRows are the three rows each TLS plugin gets against one sandboxed
// server: parity with the protocol's own check_* plugin on the same work
// (one handshake), the default (a second handshake for the other key
// type's certificate) against the same peer, and check_ssl_cert.
type tlsRows struct {
	server                  string // "the bench Dovecot", for the error when a command fails
	ours, peer, sslCert     []string
	parityLabel, parityGoal string
	defaultLabel            string
	sslCertLabel, sslGoal   string
}

// run checks that each command passes, then times the three rows.
func (t tlsRows) run(r *runner) error {
	// Each must succeed before it is timed: a fast failure proves nothing.
	for _, argv := range [][]string{t.ours, t.peer, t.sslCert} {
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		first, _, _ := strings.Cut(string(out), "\n")
		fmt.Printf("%s → %s\n", filepath.Base(argv[0]), first)
		if err != nil {
			return fmt.Errorf("%s does not pass against %s: %v\n%s", argv[0], t.server, err, out)
		}
	}
	ours, peer := strings.Join(t.ours, " "), strings.Join(t.peer, " ")
	one := strings.Join(append(append([]string(nil), t.ours...), "--no-all-certificates"), " ")
	o, p, err := r.compare(t.parityLabel, t.parityGoal, nil, 200, one, peer)
	if err != nil {
		return err
	}
	fmt.Printf("ours %.2f ms, %s %.2f ms, ratio %.3f (medians over alternating rounds)\n", o.Median*1000, filepath.Base(t.peer[0]), p.Median*1000, o.Median/p.Median)
	if _, _, err = r.compare(t.defaultLabel, "(reported)", nil, 100, ours, peer); err != nil {
		return err
	}
	o, p, err = r.compare(t.sslCertLabel, t.sslGoal, nil, 10, ours, strings.Join(t.sslCert, " "))
	if err != nil {
		return err
	}
	fmt.Printf("ours %.2f ms, check_ssl_cert %.2f ms\n", o.Median*1000, p.Median*1000)
	return nil
}

// benchChain is the chain both TLS benches serve: a leaf for localhost and
// ips, valid 200 days, from an intermediate of a private root.
func benchChain(dir string, ips ...string) (root *sandbox.CA, leaf *sandbox.Issued, err error) {
	if root, err = sandbox.NewRootCA(dir, "Bench Root"); err != nil {
		return nil, nil, err
	}
	inter, err := root.NewIntermediate("Bench Intermediate")
	if err != nil {
		return nil, nil, err
	}
	leaf, err = inter.Issue("mail", sandbox.Leaf{CommonName: "localhost", DNSNames: []string{"localhost"},
		IPs: ips, NotAfter: time.Now().AddDate(0, 0, 200)})
	return root, leaf, err
}
