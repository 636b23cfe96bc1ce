package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() { addSection(20, "Fail2ban self-ban", fail2banDemo) }

// fail2banDemo replays the self-ban: a phone with a stale password gets the
// office's egress IP banned by postfix-sasl and dovecot; unbanning helps
// until the next time; the lasting fix is ignoreip, in [DEFAULT] *and* in
// every jail that sets its own ignoreip.
func fail2banDemo(d *demo) error {
	const office = "203.0.113.7"
	dir := filepath.Join(d.work, "fail2ban")
	// The ban records on disk, as Debian's fail2ban keeps them: the
	// CRITICAL line then shows the failure lines that caused the ban.
	f, err := sandbox.StartFail2banDB(dir, "127.0.0.1/8 ::1", filepath.Join(dir, "fail2ban.sqlite3"),
		sandbox.Fail2banJail{Name: "dovecot"},
		sandbox.Fail2banJail{Name: "postfix-sasl"},
		// recidive-style jail with its own whitelist: it replaces [DEFAULT]'s
		sandbox.Fail2banJail{Name: "recidive", IgnoreIP: "127.0.0.1/8 ::1"})
	if err != nil {
		return err
	}
	defer f.Stop()
	check := func(want int, extra ...string) error {
		args := append([]string{"--socket", f.Socket, "--ip", office}, extra...)
		return d.expect(want, nil, "check_fail2ban_trusted", args...)
	}
	client := func(args ...string) error {
		return d.shell(nil, append([]string{"fail2ban-client", "-s", f.Socket}, args...)...)
	}

	d.say("Private fail2ban-server (jails dovecot, postfix-sasl, recidive). The office's egress IP is %s.\n# First, only bans count (--unlisted=ok): nothing is banned.", office)
	if err := check(0, "--unlisted=ok"); err != nil {
		return err
	}

	d.say("A phone in the office retries a stale password: 3 IMAP and 3 SMTP AUTH failures.")
	if err := f.DovecotFailures(office, 3); err != nil {
		return err
	}
	if err := f.PostfixSASLFailures(office, 3); err != nil {
		return err
	}
	for _, j := range []string{"dovecot", "postfix-sasl"} {
		if err := f.WaitBanned(j, office, 15*time.Second); err != nil {
			return err
		}
	}
	fmt.Println("  (fail2ban.log: [dovecot] Ban " + office + ", [postfix-sasl] Ban " + office + ")")
	d.say("Every device behind that IP now gets a TCP reject on 25, 465, 587, 143, 993: CRITICAL, with the unban commands.")
	if err := check(2, "--unlisted=ok"); err != nil {
		return err
	}

	d.say("Run the commands the plugin printed.")
	for _, j := range []string{"dovecot", "postfix-sasl"} {
		if err := client("set", j, "unbanip", office); err != nil {
			return err
		}
	}
	if err := check(0, "--unlisted=ok"); err != nil {
		return err
	}

	d.say("But unbanning is temporary. With the default --unlisted=warning the plugin says why it will happen again.")
	if err := check(1); err != nil {
		return err
	}

	d.say("The usual fix: ignoreip in jail.local [DEFAULT], then reload. recidive sets its own ignoreip, which replaces [DEFAULT]'s...")
	local := filepath.Join(dir, "jail.local")
	if err := writeShown(local, "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 "+office+"\n"); err != nil {
		return err
	}
	if err := d.shell(nil, "fail2ban-client", "-c", dir, "-s", f.Socket, "reload"); err != nil {
		return err
	}
	if err := check(1); err != nil {
		return err
	}

	d.say("...so the office IP goes into [recidive] too, as the plugin's fix says.")
	if err := writeShown(local, "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 "+office+"\n\n[recidive]\nignoreip = 127.0.0.1/8 ::1 "+office+"\n"); err != nil {
		return err
	}
	if err := d.shell(nil, "fail2ban-client", "-c", dir, "-s", f.Socket, "reload"); err != nil {
		return err
	}
	if err := check(0); err != nil {
		return err
	}

	d.say("A trap: written as an IPv4-mapped IPv6 address with a mask, the office IP is IPv6 to fail2ban\n# (it prints it back as ::ffff:%s) and never matches the IPv4 address it bans.", office)
	if err := writeShown(local, "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 "+office+"\n\n[recidive]\nignoreip = 127.0.0.1/8 ::1 ::ffff:"+office+"/128\n"); err != nil {
		return err
	}
	if err := d.shell(nil, "fail2ban-client", "-c", dir, "-s", f.Socket, "reload"); err != nil {
		return err
	}
	return check(1)
}

// writeShown writes a config file and prints it, as an operator would see it.
func writeShown(path, content string) error {
	fmt.Printf("$ cat %s\n%s", path, indent(content))
	return os.WriteFile(path, []byte(content), 0o644)
}
