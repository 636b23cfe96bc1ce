package main

import (
	"path/filepath"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() { addSection(10, "firewalld: mail ports wiped by a reload", firewalldDemo) }

func firewalldDemo(d *demo) error {
	fw, err := sandbox.StartFirewalld(filepath.Join(d.work, "firewalld"))
	if err != nil {
		return err
	}
	defer fw.Stop()
	env := fw.Env()
	plugin := func(want int) error {
		return d.expect(want, env, "check_firewalld_mail", "--config-dir", fw.ConfigDir)
	}

	d.say("A mail host: smtp, submission, imap(s) and web opened with --permanent. All good.")
	if err := fw.OpenPermanently("smtp", "smtps", "smtp-submission", "imap", "imaps", "http", "https"); err != nil {
		return err
	}
	if err := d.shell(env, "firewall-cmd", "--reload"); err != nil {
		return err
	}
	if err := plugin(0); err != nil {
		return err
	}
	d.say("Now the incident's state: imaps present in runtime only, as after `firewall-cmd --add-service=imaps`\n# without --permanent (here: dropped from permanent, kept in runtime). Mail works... for now.")
	if err := d.shell(env, "firewall-cmd", "--permanent", "--remove-service=imaps"); err != nil {
		return err
	}
	if err := plugin(1); err != nil {
		return err
	}
	d.say("A package update reloads firewalld. IMAPS is gone; SSH still works, so nobody notices.")
	if err := d.shell(env, "firewall-cmd", "--reload"); err != nil {
		return err
	}
	if err := plugin(2); err != nil {
		return err
	}
	d.say("The fix the plugin printed: add it permanently, then reload.")
	if err := d.shell(env, "firewall-cmd", "--permanent", "--zone=public", "--add-service=imaps"); err != nil {
		return err
	}
	if err := d.shell(env, "firewall-cmd", "--reload"); err != nil {
		return err
	}
	if err := plugin(0); err != nil {
		return err
	}
	d.say("Someone adds a reject rule at priority -10: it comes before every service entry in\n# firewalld's chain, so imaps is closed although the zone still lists it.")
	rule := `rule priority="-10" service name="imaps" reject`
	if err := d.shell(env, "firewall-cmd", "--permanent", "--add-rich-rule="+rule); err != nil {
		return err
	}
	if err := d.shell(env, "firewall-cmd", "--reload"); err != nil {
		return err
	}
	if err := plugin(2); err != nil {
		return err
	}
	d.say("The fix the plugin printed: remove that rule.")
	if err := d.shell(env, "firewall-cmd", "--permanent", "--zone=public", "--remove-rich-rule="+rule); err != nil {
		return err
	}
	if err := d.shell(env, "firewall-cmd", "--reload"); err != nil {
		return err
	}
	return plugin(0)
}
