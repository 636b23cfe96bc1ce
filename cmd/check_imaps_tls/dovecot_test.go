package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// run executes the plugin exactly as a monitoring core would (same parsing,
// -t watchdog and rendering), and checks the output contract on the way: one
// first line, exactly one perfdata pipe.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := plugin.Run(info, &cli{}, args, &out)
	text := out.String()
	t.Logf("check_imaps_tls %s\n%s(exit %d)", strings.Join(args, " "), text, code)
	if n := strings.Count(text, "|"); n != 1 {
		t.Errorf("want exactly one perfdata pipe, got %d", n)
	}
	icingaPerf(t, text) // the same labels in every state
	return code, text
}

// expect asserts the exit code and that every fragment occurs in the output.
func expect(t *testing.T, wantCode int, fragments []string, args ...string) string {
	t.Helper()
	code, out := run(t, args...)
	if code != wantCode {
		t.Errorf("exit %d, want %d", code, wantCode)
	}
	for _, f := range fragments {
		if !strings.Contains(out, f) {
			t.Errorf("output lacks %q", f)
		}
	}
	return out
}

// lab is the certificates and the real Dovecot servers the tests share.
type lab struct {
	dir       string
	root      *sandbox.CA
	other     *sandbox.CA // a CA nobody trusts
	inter     *sandbox.CA
	good      *sandbox.Issued
	servers   map[string]*sandbox.Dovecot
	pwFile    string
	renewed   *sandbox.Issued // a newer certificate for the good server's names
	renewPath string          // the served chain of the "renew" server
	renewKey  string          // and its key: both are overwritten on renewal
}

var names = sandbox.Leaf{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []string{"127.0.0.1", "127.0.0.2"}}

func leafFor(notBefore, notAfter time.Time) sandbox.Leaf {
	l := names
	l.NotBefore, l.NotAfter = notBefore, notAfter
	return l
}

// newLab makes the certificates with openssl and starts one Dovecot per
// served certificate, in parallel. Any failure is fatal: these tests must
// run against the real server, never be skipped.
func newLab(t *testing.T) *lab {
	t.Helper()
	dir := t.TempDir()
	l := &lab{dir: dir, servers: map[string]*sandbox.Dovecot{}}
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	l.root, err = sandbox.NewRootCA(dir, "Mailchecks Test Root")
	must(err)
	l.other, err = sandbox.NewRootCA(dir, "Nobody Trusts This CA")
	must(err)
	l.inter, err = l.root.NewIntermediate("Mailchecks Test Intermediate")
	must(err)
	certs := map[string]sandbox.Leaf{
		"good":      names,
		"warn":      leafFor(now.AddDate(0, 0, -300), now.Add(20*24*time.Hour+time.Hour)),
		"crit":      leafFor(now.AddDate(0, 0, -300), now.Add(5*24*time.Hour+time.Hour)),
		"expired":   leafFor(now.AddDate(0, 0, -90), now.AddDate(0, 0, -2)),
		"notyet":    leafFor(now.AddDate(0, 0, 2), now.AddDate(0, 0, 90)),
		"untrusted": names,
		"chain":     names,
		"noinherit": names, // issued by the intermediate, served without it
		"renew":     leafFor(now.AddDate(0, 0, -60), now.AddDate(0, 0, 60)),
	}
	issued := map[string]*sandbox.Issued{}
	for name, leaf := range certs {
		ca := l.root
		switch name {
		case "untrusted":
			ca = l.other
		case "chain", "noinherit":
			ca = l.inter
		}
		issued[name], err = ca.Issue(name, leaf)
		must(err)
	}
	l.good = issued["good"]
	l.renewed, err = l.root.Issue("renewed", leafFor(now.Add(-time.Hour), now.AddDate(0, 0, 90)))
	must(err)
	// The renew server serves copies we can overwrite, as certbot does.
	l.renewPath, l.renewKey = filepath.Join(dir, "renew-served.pem"), filepath.Join(dir, "renew-served.key")
	must(copyFile(issued["renew"].ChainPath, l.renewPath))
	must(copyFile(issued["renew"].KeyPath, l.renewKey))

	opts := map[string]sandbox.DovecotOptions{}
	for name, is := range issued {
		served, key := is.ChainPath, is.KeyPath
		switch name {
		case "noinherit":
			served = is.CertPath
		case "renew":
			served, key = l.renewPath, l.renewKey
		}
		opts[name] = sandbox.DovecotOptions{CertPath: served, KeyPath: key, Password: "s3cr\"et\\pw", Mailboxes: []string{"Archive", "Entwürfe"}}
	}
	l.servers, err = sandbox.StartDovecots(opts)
	must(err)
	for _, d := range l.servers {
		t.Cleanup(d.Stop)
	}
	l.pwFile = filepath.Join(dir, "password")
	must(os.WriteFile(l.pwFile, []byte("s3cr\"et\\pw\n"), 0o600))
	return l
}

func (l *lab) imaps(name string) []string {
	return []string{"-H", "127.0.0.2", "-p", strconv.Itoa(l.servers[name].IMAPSPort), "--ca-file", l.root.CertPath, "-t", "5"}
}

func TestAgainstDovecot(t *testing.T) {
	l := newLab(t)
	t.Run("OK", func(t *testing.T) {
		out := expect(t, 0, []string{"OK: IMAPS 127.0.0.2:", "TLS 1.3", "chain trusted (localhost <- Mailchecks Test Root)",
			"'connect_time'=", "'tls_time'=", "'greeting_time'=", "'total_time'=", `chain[0]: subject "CN=localhost", SANs localhost 127.0.0.1 127.0.0.2`},
			l.imaps("good")...)
		wantDaysLeft(t, out, 364, 366, 30, 14)
	})
	t.Run("OK by name, SNI and name check on localhost", func(t *testing.T) {
		args := append(l.imaps("good"), "-H", "localhost")
		expect(t, 0, []string{"certificate: valid for localhost"}, args...)
	})
	t.Run("expiring, warning window", func(t *testing.T) {
		out := expect(t, 1, []string{"WARNING: certificate: certificate \"CN=localhost\" (320-day certificate) expires in 20 days", "below -w 20% of the lifetime, at most 30 days = 30 days", "certbot renew"}, l.imaps("warn")...)
		wantDaysLeft(t, out, 20, 20.1, 30, 14)
	})
	t.Run("expiring, critical window", func(t *testing.T) {
		out := expect(t, 2, []string{"CRITICAL: certificate: certificate \"CN=localhost\" (305-day certificate) expires in 5 days"}, l.imaps("crit")...)
		wantDaysLeft(t, out, 5, 5.1, 30, 14)
	})
	t.Run("thresholds as Nagios ranges", func(t *testing.T) {
		expect(t, 0, nil, append(l.imaps("warn"), "-w", "10:", "-c", "3:")...)
	})
	t.Run("expired", func(t *testing.T) {
		out := expect(t, 2, []string{"CRITICAL: certificate: certificate \"CN=localhost\" (88-day certificate) expired on", "(2 days ago)", "chain trusted"}, l.imaps("expired")...)
		wantDaysLeft(t, out, -2.1, -2, 17.6, 8.8)
	})
	t.Run("not yet valid", func(t *testing.T) {
		expect(t, 2, []string{"is not valid before", "timedatectl"}, l.imaps("notyet")...)
	})
	t.Run("wrong name", func(t *testing.T) {
		expect(t, 2, []string{"CRITICAL: certificate: not valid for mail.example.org (it covers localhost, 127.0.0.1, 127.0.0.2)", "--expand -d mail.example.org"},
			append(l.imaps("good"), "--sni", "mail.example.org")...)
	})
	t.Run("untrusted CA", func(t *testing.T) {
		expect(t, 2, []string{"CRITICAL: certificate: chain not trusted: certificate signed by unknown authority", `issuer "CN=Nobody Trusts This CA`}, l.imaps("untrusted")...)
	})
	t.Run("private CA against the system roots", func(t *testing.T) {
		args := []string{"-H", "127.0.0.2", "-p", strconv.Itoa(l.servers["good"].IMAPSPort)}
		expect(t, 2, []string{"chain not trusted", "--ca-file"}, args...)
	})
	t.Run("chain with an intermediate", func(t *testing.T) {
		expect(t, 0, []string{"chain trusted (localhost <- Mailchecks Test Intermediate <- Mailchecks Test Root)", `chain[1]: subject "CN=Mailchecks Test Intermediate`}, l.imaps("chain")...)
	})
	t.Run("intermediate not served", func(t *testing.T) {
		expect(t, 2, []string{"chain not trusted", "the chain ends at issuer \"CN=Mailchecks Test Intermediate,O=mailchecks test\", which the server does not send", "full chain (e.g. fullchain.pem)"}, l.imaps("noinherit")...)
	})
	starttls := func(host string) []string {
		return []string{"-H", host, "-p", strconv.Itoa(l.servers["good"].IMAPPort), "--starttls", "--ca-file", l.root.CertPath, "-t", "5"}
	}
	t.Run("STARTTLS as a remote client sees it", func(t *testing.T) {
		expect(t, 0, []string{"OK: IMAP STARTTLS 127.0.0.2:", "LOGINDISABLED before TLS", "chain trusted"}, starttls("127.0.0.2")...)
	})
	t.Run("STARTTLS with plaintext login offered", func(t *testing.T) {
		// Dovecot treats a client on its own address as secure and offers
		// LOGIN before TLS: what a misconfigured server looks like.
		expect(t, 1, []string{"WARNING: STARTTLS: the server does not advertise LOGINDISABLED", "auth_allow_cleartext = no (Dovecot 2.4; disable_plaintext_auth = yes on 2.3)"}, starttls("127.0.0.1")...)
		expect(t, 0, []string{"[OK] STARTTLS: LOGIN is offered before TLS (allowed by --allow-plaintext-login)"}, append(starttls("127.0.0.1"), "--allow-plaintext-login")...)
	})
	t.Run("STARTTLS on the implicit TLS port", func(t *testing.T) {
		args := append(l.imaps("good"), "--starttls", "-t", "1")
		expect(t, 2, []string{"CRITICAL: greeting: no IMAP greeting: the server went silent", "drop --starttls"}, args...)
	})
	t.Run("implicit TLS on the plain port", func(t *testing.T) {
		args := []string{"-H", "127.0.0.2", "-p", strconv.Itoa(l.servers["good"].IMAPPort), "--ca-file", l.root.CertPath, "-t", "5"}
		expect(t, 2, []string{"does not speak TLS on this port", "--starttls"}, args...)
	})
	t.Run("login ok, password from a file", func(t *testing.T) {
		out := expect(t, 0, []string{"logged in as bob", "[OK] LOGIN: logged in as bob", `C: a1 LOGIN "bob" "***"`, "S: a1 OK"},
			append(l.imaps("good"), "--login", "bob", "--password-file", l.pwFile, "-v")...)
		if strings.Contains(out, "s3cr") {
			t.Error("the password leaked into the -v transcript")
		}
	})
	t.Run("login ok over STARTTLS, password from IMAP_PASSWORD", func(t *testing.T) {
		t.Setenv("IMAP_PASSWORD", "s3cr\"et\\pw")
		expect(t, 0, []string{"logged in as carol"}, append(starttls("127.0.0.2"), "--login", "carol")...)
	})
	t.Run("password file unreadable", func(t *testing.T) {
		expect(t, 3, []string{"UNKNOWN: --password-file: open"}, append(l.imaps("good"), "--login", "bob", "--password-file", "/nonexistent/pw")...)
	})
	t.Run("no password at all", func(t *testing.T) {
		t.Setenv("IMAP_PASSWORD", "")
		expect(t, 3, []string{"UNKNOWN: --login bob needs a password"}, append(l.imaps("good"), "--login", "bob")...)
	})
	t.Run("select an existing mailbox", func(t *testing.T) {
		expect(t, 0, []string{"Archive has 0 messages", "[OK] SELECT: Archive opened"}, append(l.imaps("good"), "--login", "bob", "--password-file", l.pwFile, "--select", "Archive")...)
	})
	t.Run("select a mailbox with a non-ASCII name (modified UTF-7)", func(t *testing.T) {
		expect(t, 0, []string{"[OK] SELECT: Entwürfe opened", `C: a2 SELECT "Entw&APw-rfe"`},
			append(l.imaps("good"), "--login", "bob", "--password-file", l.pwFile, "--select", "Entwürfe", "-v")...)
	})
	t.Run("select a missing mailbox", func(t *testing.T) {
		expect(t, 2, []string{"CRITICAL: SELECT No Such Box failed: SELECT answered NO", "doveadm force-resync -u bob"},
			append(l.imaps("good"), "--login", "bob", "--password-file", l.pwFile, "--select", "No Such Box")...)
	})
	t.Run("no password to an untrusted server", func(t *testing.T) {
		expect(t, 2, []string{"LOGIN: not attempted: password not sent"}, append(l.imaps("untrusted"), "--login", "bob", "--password-file", l.pwFile)...)
	})
	t.Run("capabilities", func(t *testing.T) {
		expect(t, 0, []string{"[OK] CAPABILITY: IDLE advertised"}, append(l.imaps("good"), "--expect-capability", "IDLE")...)
		expect(t, 1, []string{"WARNING: CAPABILITY: XYZZY is not advertised"}, append(l.imaps("good"), "--expect-capability", "IDLE", "--expect-capability", "xyzzy")...)
	})
	t.Run("cert-file equal", func(t *testing.T) {
		expect(t, 0, []string{"the served certificate is the one in --cert-file"}, append(l.imaps("good"), "--cert-file", l.good.ChainPath)...)
	})
	t.Run("cert-file different", func(t *testing.T) {
		expect(t, 1, []string{"WARNING: certificate: renewed on disk, the server still serves the old one: reload dovecot", "doveadm reload"},
			append(l.imaps("good"), "--cert-file", l.renewed.CertPath)...)
	})
	t.Run("cert-file unreadable", func(t *testing.T) {
		expect(t, 3, []string{"UNKNOWN: --cert-file: open"}, append(l.imaps("good"), "--cert-file", "/nonexistent.pem")...)
	})
	t.Run("renewed on disk, then reloaded", func(t *testing.T) {
		d := l.servers["renew"]
		args := append(l.imaps("renew"), "--cert-file", l.renewPath)
		expect(t, 0, []string{"the served certificate is the one in --cert-file"}, args...)
		// certbot renew: new certificate and key on disk, no reload.
		if err := copyFile(l.renewed.ChainPath, l.renewPath); err != nil {
			t.Fatal(err)
		}
		if err := copyFile(l.renewed.KeyPath, l.renewKey); err != nil {
			t.Fatal(err)
		}
		expect(t, 1, []string{"renewed on disk, the server still serves the old one"}, args...)
		if err := d.Reload(); err != nil {
			t.Fatal(err)
		}
		out := expect(t, 0, []string{"the served certificate is the one in --cert-file", "90-day certificate, 89 days"}, args...)
		wantDaysLeft(t, out, 89.9, 90, 18, 9)
	})
	// Last of the logins: Dovecot's auth penalty then delays the next
	// logins from this address, as it would a real client's.
	t.Run("wrong password", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad")
		if err := os.WriteFile(bad, []byte("wrong\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := expect(t, 2, []string{"CRITICAL: LOGIN as bob failed: LOGIN answered NO [AUTHENTICATIONFAILED]", "doveadm auth test bob"},
			append(l.imaps("good"), "--login", "bob", "--password-file", bad)...)
		if strings.Contains(out, "wrong") {
			t.Error("the password leaked into the output")
		}
	})
	t.Run("port closed", func(t *testing.T) {
		port, err := sandbox.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		expect(t, 2, []string{"CRITICAL: connect: 127.0.0.1:" + strconv.Itoa(port) + " refused the connection",
			"firewall-cmd --list-services", "fail2ban-client banned"}, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	})
	t.Run("server stopped", func(t *testing.T) {
		d := l.servers["notyet"]
		d.Stop()
		expect(t, 2, []string{"refused the connection"}, l.imaps("notyet")...)
	})
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
