package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() { addSection(35, "SMTP submission and TLS", smtpDemo) }

// smtpDemo is the certificate story again, on Postfix: all good on the
// submission port; renewed on disk but Postfix not reloaded; postfix
// reload fixes it; then a port that never offers STARTTLS.
func smtpDemo(d *demo) error {
	dir := filepath.Join(d.work, "smtp")
	ca, err := sandbox.NewRootCA(dir, "Demo Mail CA")
	if err != nil {
		return err
	}
	now := time.Now()
	leaf := func(notAfter time.Time) sandbox.Leaf {
		return sandbox.Leaf{CommonName: "mail.mailchecks.test", DNSNames: []string{"mail.mailchecks.test"}, IPs: []string{"127.0.0.1"},
			NotBefore: now.AddDate(0, 0, -50), NotAfter: notAfter}
	}
	old, err := ca.Issue("mail-old", leaf(now.AddDate(0, 0, 40)))
	if err != nil {
		return err
	}
	renewed, err := ca.Issue("mail-renewed", leaf(now.AddDate(0, 0, 90)))
	if err != nil {
		return err
	}
	live := filepath.Join(dir, "live")
	fullchain, privkey := filepath.Join(live, "fullchain.pem"), filepath.Join(live, "privkey.pem")
	if err := install(old, fullchain, privkey); err != nil {
		return err
	}
	p, err := sandbox.StartPostfix(sandbox.PostfixOptions{CertPath: fullchain, KeyPath: privkey})
	if err != nil {
		return err
	}
	defer p.Stop()
	args := []string{"-H", "127.0.0.1", "-p", strconv.Itoa(p.SubmissionPort), "--ca-file", ca.CertPath, "--cert-file", fullchain}

	d.say("A private Postfix %s serves submission on 127.0.0.1:%d (STARTTLS, what port 587 is) with the same kind of\n"+
		"# certificate. The check greets, sends EHLO, STARTTLS, judges the certificate as check_imaps_tls does, EHLO again.", p.Version, p.SubmissionPort)
	if err := d.expect(0, nil, "check_smtp_tls", args...); err != nil {
		return err
	}

	d.say("certbot renews; nobody reloads Postfix, whose smtpd processes keep the old certificate.")
	if err := install(renewed, fullchain, privkey); err != nil {
		return err
	}
	if err := d.expect(1, nil, "check_smtp_tls", args...); err != nil {
		return err
	}

	d.say("Run the fix the plugin printed.")
	fmt.Printf("$ postfix -c %s reload\n", p.ConfigDir)
	if err := p.Reload(); err != nil {
		return err
	}
	if err := d.expect(0, nil, "check_smtp_tls", args...); err != nil {
		return err
	}

	d.say("A second smtpd was set up without TLS: clients cannot protect the password there.")
	return d.expect(2, nil, "check_smtp_tls", "-H", "127.0.0.1", "-p", strconv.Itoa(p.PlainPort), "--ca-file", ca.CertPath)
}
