package main

import (
	"fmt"
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
	if err != nil {
		return err
	}
	return firewalldBansBench(r)
}

// firewalldBansBench: the whole check with no bans and with 10,000
// runtime ban rules (as Fail2ban's firewallcmd-rich-rules action adds
// them) against the one firewall-cmd call that lists the zone: the check
// must cost no more than listing the rules it judges.
func firewalldBansBench(r *runner) error {
	services := []string{"ssh", "dhcpv6-client", "smtp", "smtps", "smtp-submission", "imap", "imaps", "http", "https"}
	for _, bans := range []int{0, 10000} {
		fw, err := sandbox.StartFirewalld(filepath.Join(r.work, fmt.Sprintf("firewalld-%d-bans", bans)))
		if err != nil {
			return err
		}
		if _, err := fw.LoadRuntimeBans(services, sandbox.BanAddrs(bans)); err != nil {
			fw.Stop()
			return err
		}
		ours := filepath.Join(r.bin, "check_firewalld_mail") + " --config-dir " + fw.ConfigDir
		label := "check_firewalld_mail, 0 runtime ban rules vs one `firewall-cmd --zone=public --list-all`"
		goal := "≥ 10× (as without bans before)"
		if bans > 0 {
			label = "check_firewalld_mail, 10,000 runtime ban rules vs one `firewall-cmd --zone=public --list-all`"
			goal = "≤ 1.0"
		}
		_, _, err = r.compare(label, goal, fw.Env(), 20, ours, "firewall-cmd --zone=public --list-all")
		fw.Stop()
		if err != nil {
			return err
		}
	}
	return nil
}
