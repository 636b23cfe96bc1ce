package main

import (
	"path/filepath"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() { addBench(10, "check_firewalld_mail vs firewall-cmd --list-all", firewalldBench) }

// firewalldBench times the whole check (D-Bus runtime view, XML permanent
// view, evaluation) against the single firewall-cmd call a shell-script check
// needs just to read the runtime zone.
func firewalldBench(r *runner) error {
	fw, err := sandbox.StartFirewalld(filepath.Join(r.work, "firewalld"))
	if err != nil {
		return err
	}
	defer fw.Stop()
	if err := fw.OpenPermanently("smtp", "smtps", "smtp-submission", "imap", "imaps", "http", "https"); err != nil {
		return err
	}
	ours := filepath.Join(r.bin, "check_firewalld_mail") + " --config-dir " + fw.ConfigDir
	_, _, err = r.compare("check_firewalld_mail (whole check, D-Bus) vs one `firewall-cmd --list-all`", "≥ 10×",
		fw.Env(), 30, ours, "firewall-cmd --list-all")
	return err
}
