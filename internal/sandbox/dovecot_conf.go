package sandbox

import (
	"fmt"
	"os/exec"
	"strings"
)

// DovecotVersion is the installed Dovecot's version as `dovecot --version`
// prints it, without the build id: "2.3.19.1" on Debian 12, "2.4.1" on
// Debian 13.
func DovecotVersion() (string, error) {
	out, err := exec.Command("dovecot", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("dovecot --version: %w (install dovecot-core with `make deps`)", err)
	}
	v, _, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	v, _, _ = strings.Cut(v, "-") // Debian's "2.4.1-4" carries the package revision
	if v == "" {
		return "", fmt.Errorf("dovecot --version printed %q", out)
	}
	return v, nil
}

// DovecotIs24 reports whether a version string is Dovecot 2.4 or later,
// whose configuration syntax (dovecot_config_version first, named passdb and
// userdb blocks, ssl_server_*_file, auth_allow_cleartext) 2.3 refuses, and
// the other way round.
func DovecotIs24(version string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 2 || (major == 2 && minor >= 4)
}

// dovecotSettings is what a sandbox configuration is made of, the same for
// every Dovecot version.
type dovecotSettings struct {
	Dir, CertPath, KeyPath, Password string
	AltCertPath, AltKeyPath          string // "": no second certificate
	MinProtocol                      string // "": TLSv1.2
	IMAPPort, IMAPSPort              int
	UID, GID, HomeRoot               string
	Mailboxes                        []string
	Listen                           []string
	PostfixAuth                      bool
}

// dovecotPostfixAuthListener is the auth socket for Postfix, relative to
// base_dir, the same in 2.3 and 2.4 syntax.
const dovecotPostfixAuthListener = "auth-postfix"

// dovecotConf is a complete configuration (no !include of /etc/dovecot):
// what a typical mail host sets for IMAP over TLS, in the syntax of the
// installed version. Plaintext authentication is disabled (2.3's
// disable_plaintext_auth, 2.4's auth_allow_cleartext), which makes Dovecot
// advertise LOGINDISABLED before STARTTLS to remote clients, as a correct
// server should; static passdb/userdb give every user the one password,
// mail as "nobody" (Dovecot refuses root and system UIDs below
// first_valid_uid for mail processes).
func dovecotConf(version string, s dovecotSettings) string {
	var b strings.Builder
	minProtocol := s.MinProtocol
	if minProtocol == "" {
		minProtocol = "TLSv1.2"
	}
	b.WriteString("# private Dovecot for mailchecks tests; nothing from /etc/dovecot\n")
	if DovecotIs24(version) {
		// 2.4 refuses a configuration whose first setting is not this one.
		fmt.Fprintf(&b, "dovecot_config_version = %s\ndovecot_storage_version = %s\n", version, version)
	}
	fmt.Fprintf(&b, `base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
protocols = imap
listen = %[4]s
default_internal_user = dovecot
default_login_user = dovenull
ssl = yes
ssl_min_protocol = %[5]s
auth_mechanisms = plain login
service imap-login {
  inet_listener imap {
    port = %[2]d
  }
  inet_listener imaps {
    port = %[3]d
    ssl = yes
  }
}
`, s.Dir, s.IMAPPort, s.IMAPSPort, strings.Join(s.Listen, ", "), minProtocol)
	if DovecotIs24(version) {
		fmt.Fprintf(&b, `ssl_server_cert_file = %s
ssl_server_key_file = %s
auth_allow_cleartext = no
passdb static {
  password = %s
}
userdb static {
  fields {
    uid = %s
    gid = %s
    home = %s/%%{user}
  }
}
mail_driver = maildir
mail_path = ~/Maildir
`, s.CertPath, s.KeyPath, s.Password, s.UID, s.GID, s.HomeRoot)
	} else {
		fmt.Fprintf(&b, `ssl_cert = <%s
ssl_key = <%s
disable_plaintext_auth = yes
passdb {
  driver = static
  args = password=%s
}
userdb {
  driver = static
  args = uid=%s gid=%s home=%s/%%u
}
mail_location = maildir:~/Maildir
`, s.CertPath, s.KeyPath, s.Password, s.UID, s.GID, s.HomeRoot)
	}
	if s.PostfixAuth {
		// What Dovecot's and Postfix's documentation give for
		// smtpd_sasl_type = dovecot: a listener smtpd (user postfix) may use.
		fmt.Fprintf(&b, "service auth {\n  unix_listener %s {\n    mode = 0660\n    user = postfix\n    group = postfix\n  }\n}\n",
			dovecotPostfixAuthListener)
	}
	if s.AltCertPath != "" {
		// A second certificate of the other key type (RSA beside ECDSA):
		// OpenSSL serves each client the one its signature algorithms prefer.
		if DovecotIs24(version) {
			fmt.Fprintf(&b, "ssl_server_alt_cert_file = %s\nssl_server_alt_key_file = %s\n", s.AltCertPath, s.AltKeyPath)
		} else {
			fmt.Fprintf(&b, "ssl_alt_cert = <%s\nssl_alt_key = <%s\n", s.AltCertPath, s.AltKeyPath)
		}
	}
	b.WriteString("namespace inbox {\n  inbox = yes\n")
	for _, mb := range s.Mailboxes {
		fmt.Fprintf(&b, "  mailbox \"%s\" {\n    auto = create\n  }\n", mb)
	}
	b.WriteString("}\n")
	return b.String()
}
