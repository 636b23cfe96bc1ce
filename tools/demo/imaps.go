package main

import (
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() { addSection(30, "IMAPS and TLS", imapsDemo) }

// imapsDemo replays the certificate story: all good; certbot renews the
// certificate on disk but nobody reloads Dovecot, so clients keep getting
// the old one until it expires; the reload fixes it; a hand-rolled
// certificate that openssl accepts but NSS clients refuse; then the port
// closes.
func imapsDemo(d *demo) error {
	dir := filepath.Join(d.work, "imaps")
	ca, err := sandbox.NewRootCA(dir, "Demo Mail CA")
	if err != nil {
		return err
	}
	now := time.Now()
	leaf := func(notAfter time.Time) sandbox.Leaf {
		return sandbox.Leaf{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []string{"127.0.0.1", "127.0.0.2"},
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
	// Dovecot reads its certificate from a "live" directory, as with
	// certbot's /etc/letsencrypt/live/<name>/fullchain.pem.
	live := filepath.Join(dir, "live")
	fullchain, privkey := filepath.Join(live, "fullchain.pem"), filepath.Join(live, "privkey.pem")
	if err := install(old, fullchain, privkey); err != nil {
		return err
	}
	dv, err := sandbox.StartDovecot(sandbox.DovecotOptions{CertPath: fullchain, KeyPath: privkey, Password: "monitor-secret", Mailboxes: []string{"Archive"}})
	if err != nil {
		return err
	}
	defer dv.Stop()
	env := []string{"IMAP_PASSWORD=monitor-secret"}
	args := []string{"-H", "127.0.0.2", "-p", strconv.Itoa(dv.IMAPSPort), "--ca-file", ca.CertPath,
		"--cert-file", fullchain, "--login", "monitor", "--select", "INBOX"}

	d.say("A private Dovecot serves IMAPS on 127.0.0.2:%d with a certificate from our CA (40 days left).\n"+
		"# The check verifies chain, name and dates, reads the greeting, logs in (password from IMAP_PASSWORD)\n"+
		"# and SELECTs INBOX; --cert-file compares the served certificate with the one on disk.", dv.IMAPSPort)
	if err := d.expect(0, env, "check_imaps_tls", args...); err != nil {
		return err
	}

	d.say("certbot renews: a new fullchain.pem and privkey.pem on disk. The deploy hook that reloads Dovecot is missing,\n" +
		"# so clients keep getting the old certificate until it expires. The check notices today, not in 40 days.")
	if err := install(renewed, fullchain, privkey); err != nil {
		return err
	}
	if err := d.expect(1, env, "check_imaps_tls", args...); err != nil {
		return err
	}

	d.say("Run the fix the plugin printed.")
	if err := d.shell(nil, "doveadm", "-c", dv.Conf, "reload"); err != nil {
		return err
	}
	if err := dv.WaitReady(5 * time.Second); err != nil {
		return err
	}
	if err := d.expect(0, env, "check_imaps_tls", args...); err != nil {
		return err
	}

	d.say("The next certificate comes from a hand-written openssl extension file: keyUsage = keyEncipherment only.\n" +
		"# openssl s_client, the usual manual test, is satisfied; Thunderbird (NSS) and Outlook (SChannel) refuse it,\n" +
		"# because TLS 1.3 needs digitalSignature. The check judges as those clients do.")
	badKU := leaf(now.AddDate(0, 0, 90))
	badKU.KeyUsage = "critical,keyEncipherment"
	handRolled, err := ca.Issue("mail-keyusage", badKU)
	if err != nil {
		return err
	}
	if err := install(handRolled, fullchain, privkey); err != nil {
		return err
	}
	if err := d.shell(nil, "doveadm", "-c", dv.Conf, "reload"); err != nil {
		return err
	}
	if err := dv.WaitReady(5 * time.Second); err != nil {
		return err
	}
	if err := d.shell(nil, "openssl", "s_client", "-connect", "127.0.0.2:"+strconv.Itoa(dv.IMAPSPort), "-CAfile", ca.CertPath,
		"-verify_return_error", "-brief"); err != nil {
		return err
	}
	if err := d.expect(2, env, "check_imaps_tls", args...); err != nil {
		return err
	}

	d.say("A firewall reload drops the runtime-only imaps rule and the port is closed (here Dovecot is stopped:\n" +
		"# a client sees the same TCP reject). CRITICAL, naming the phase, with the firewalld and Fail2ban commands.")
	dv.Stop()
	return d.expect(2, nil, "check_imaps_tls", "-H", "127.0.0.2", "-p", strconv.Itoa(dv.IMAPSPort), "--ca-file", ca.CertPath)
}

// install copies a certificate (with its chain) and key to where Dovecot
// reads them, as certbot does on renewal.
func install(is *sandbox.Issued, fullchain, privkey string) error {
	for from, to := range map[string]string{is.ChainPath: fullchain, is.KeyPath: privkey} {
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		if err := sandbox.WriteFile(to, string(b), 0o600); err != nil {
			return err
		}
	}
	return nil
}
