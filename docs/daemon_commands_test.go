package docs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// The operator's commands the pages show (mostly the plugins' Fix hints:
// fail2ban-client, doveadm, firewall-cmd) run against the real daemons,
// with the pages' placeholders filled in.
var daemonCommands = map[string]bool{"fail2ban-client": true, "doveadm": true, "firewall-cmd": true, "ss": true}

// placeholders are the pages' names for values, and what they become here.
var placeholders = map[string]string{
	"JAIL": "dovecot", "IP": bannedIP, "USER": "bob", "MAILBOX": "INBOX",
	"Z": "public", "X": "imaps", "I": "mailx0",
}

const bannedIP = "203.0.113.7"

// daemonRunnable says whether TestShownDaemonCommandsRun runs s: a daemon
// command without an elision (…) left to guess.
func daemonRunnable(s shown) bool {
	if len(s.argv) == 0 || !daemonCommands[filepath.Base(s.argv[0])] {
		return false
	}
	for _, a := range s.argv {
		if strings.Contains(a, "…") {
			return false
		}
	}
	return true
}

// fillPlaceholders turns shown arguments into runnable ones: JAIL, IP, Z,
// --zone=Z …, an optional [--zone=Z] taken, the first of a/b/c choices.
func fillPlaceholders(args []string) []string {
	var out []string
	for _, a := range args {
		a = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")
		name, value, isFlag := strings.Cut(a, "=")
		if !isFlag {
			name, value = "", a
		}
		if v, ok := placeholders[value]; ok {
			value = v
		}
		if first, _, ok := strings.Cut(value, "/"); ok && strings.HasPrefix(name, "--add-service") {
			value = first
		}
		if isFlag {
			out = append(out, name+"="+value)
		} else {
			out = append(out, value)
		}
	}
	return out
}

// TestShownDaemonCommandsRun runs every fail2ban-client, doveadm,
// firewall-cmd and ss command the pages show (daemonRunnable) against a
// real fail2ban-server, Dovecot and firewalld: each must succeed (ss must
// list Dovecot's port). Addressing the
// sandbox is added (-s SOCKET and -c DIR, -c CONF, the bus address); `doveadm auth
// test USER` gets the password as an argument instead of prompting.
func TestShownDaemonCommandsRun(t *testing.T) {
	if err := sandbox.RequireRoot("real fail2ban, Dovecot and firewalld"); err != nil {
		t.Fatal(err)
	}
	byCommand := map[string][]shown{}
	for _, s := range shownCommands(t) {
		if daemonRunnable(s) {
			byCommand[filepath.Base(s.argv[0])] = append(byCommand[filepath.Base(s.argv[0])], s)
		}
	}
	for cmd := range daemonCommands {
		if len(byCommand[cmd]) == 0 {
			t.Errorf("no shown %s command found: the extraction no longer finds them", cmd)
		}
	}
	t.Run("fail2ban-client", func(t *testing.T) {
		t.Parallel()
		f2b, err := sandbox.StartFail2ban(filepath.Join(t.TempDir(), "f2b"), "127.0.0.1/8", sandbox.Fail2banJail{Name: "dovecot"})
		if err != nil {
			t.Fatalf("cannot start the real fail2ban (never skipped): %v", err)
		}
		t.Cleanup(f2b.Stop)
		for _, s := range byCommand["fail2ban-client"] {
			args := fillPlaceholders(s.argv[1:])
			if len(args) > 2 && args[0] == "set" && args[2] == "unbanip" {
				if out, err := f2b.Client("set", args[1], "banip", bannedIP); err != nil {
					t.Fatalf("banip before %s: %v %s", s.text, err, out)
				}
			}
			// -c: the client reads the jail config itself (reload), the sandbox's
			out, err := f2b.Client(append([]string{"-c", f2b.Dir}, args...)...)
			report(t, s, args, out, err)
		}
	})
	t.Run("doveadm", func(t *testing.T) {
		t.Parallel()
		ca, err := sandbox.NewRootCA(t.TempDir(), "docs-root")
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := ca.Issue("mail", sandbox.Leaf{CommonName: "mail.test", DNSNames: []string{"mail.test"}})
		if err != nil {
			t.Fatal(err)
		}
		const password = "pw"
		d, err := sandbox.StartDovecot(sandbox.DovecotOptions{CertPath: leaf.ChainPath, KeyPath: leaf.KeyPath, Password: password})
		if err != nil {
			t.Fatalf("cannot start the real Dovecot (never skipped): %v", err)
		}
		t.Cleanup(d.Stop)
		for _, s := range byCommand["ss"] { // Dovecot's listener among what ss lists
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			out, err := sandbox.Run(ctx, nil, s.argv...)
			cancel()
			if err == nil && !strings.Contains(out, fmt.Sprintf(":%d ", d.IMAPSPort)) {
				err = fmt.Errorf("Dovecot's port %d not listed", d.IMAPSPort)
			}
			report(t, s, s.argv[1:], out, err)
		}
		for _, s := range byCommand["doveadm"] {
			args := fillPlaceholders(s.argv[1:])
			if len(args) == 3 && args[0] == "auth" && args[1] == "test" {
				args = append(args, password)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			out, err := sandbox.Run(ctx, nil, append([]string{"doveadm", "-c", d.Conf}, args...)...)
			cancel()
			report(t, s, args, out, err)
			if err := d.WaitReady(10 * time.Second); err != nil { // after doveadm reload
				t.Fatalf("Dovecot after %s: %v", s.text, err)
			}
		}
	})
	t.Run("firewall-cmd", func(t *testing.T) {
		t.Parallel()
		fw, err := sandbox.StartFirewalld(filepath.Join(t.TempDir(), "fw"))
		if err != nil {
			t.Fatalf("cannot start the real firewalld (never skipped): %v", err)
		}
		t.Cleanup(fw.Stop)
		for _, s := range byCommand["firewall-cmd"] {
			args := fillPlaceholders(s.argv[1:])
			out, err := fw.Cmd(args...)
			report(t, s, args, out, err)
		}
	})
}

// report fails the test for a shown command that did not succeed.
func report(t *testing.T, s shown, args []string, out string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %s (run as %s): %v\n%s", s.where, s.text, strings.Join(args, " "), err, out)
		return
	}
	t.Logf("%s: %s: ok", s.where, strings.Join(args, " "))
}
