package sandbox

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
)

// PostfixVersion is the installed Postfix's mail_version: "3.7.11" on
// Debian 12, "3.10.x" on Debian 13. It asks for the compiled-in default
// (-d) because a host installed with "No configuration" has no
// /etc/postfix/main.cf, and plain `postconf` fails without one.
func PostfixVersion() (string, error) {
	out, err := exec.Command("postconf", "-d", "-h", "mail_version").Output()
	if err != nil {
		return "", fmt.Errorf("postconf -d mail_version: %w (install postfix with `make deps`)", err)
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		return "", fmt.Errorf("postconf -d mail_version printed nothing")
	}
	return v, nil
}

// postfixDaemonDir is where master(8) and smtpd(8) live
// (/usr/lib/postfix/sbin on Debian), from the compiled-in default.
func postfixDaemonDir() (string, error) {
	out, err := exec.Command("postconf", "-d", "-h", "daemon_directory").Output()
	if err != nil {
		return "", fmt.Errorf("postconf -d daemon_directory: %w (install postfix with `make deps`)", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// postfixSettings is what a sandbox configuration is made of.
type postfixSettings struct {
	Dir, ConfigDir, QueueDir, DataDir string
	Hostname                          string
	CertPath, KeyPath                 string
	SASLPath                          string // "" turns AUTH off everywhere
	RequireTLS                        bool
	AuthBeforeTLS                     bool
	Listen                            []string
	SubmissionPort, SMTPSPort         int
	PlainPort                         int
}

// postfixMainCf is a complete main.cf (nothing from /etc/postfix): a
// submission host as an operator sets one up, minus delivery. It never
// relays (only authenticated clients may, and there is no transport to
// relay with), has no local domains, and logs to a file of its own
// (maillog_file through postlogd) since a sandbox has no syslog.
//
// max_idle and max_use are raised because smtpd(8) reads its certificate
// once, when the process starts: with the defaults (100 s, 100 uses) an
// idle smtpd would soon be replaced by one that reads the renewed file,
// and "renewed on disk, never reloaded" could not be reproduced. With them,
// the smtpd that served the first connection keeps serving until
// `postfix reload`, as on a busy real server.
func postfixMainCf(s postfixSettings) string {
	var b strings.Builder
	protocols := "ipv4"
	var ifaces []string
	for _, a := range s.Listen {
		if strings.Contains(a, ":") {
			protocols = "all"
			ifaces = append(ifaces, "["+a+"]")
		} else {
			ifaces = append(ifaces, a)
		}
	}
	fmt.Fprintf(&b, `# private Postfix for mailchecks tests; nothing from /etc/postfix
compatibility_level = 3.6
config_directory = %[1]s
queue_directory = %[2]s
data_directory = %[3]s
mail_owner = postfix
setgid_group = postdrop
myhostname = %[4]s
mydomain = %[4]s
myorigin = $myhostname
mydestination =
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = %[5]s
inet_protocols = %[6]s
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_sasl_authenticated, reject
maillog_file = %[7]s/postfix.log
maillog_file_prefixes = %[7]s
max_idle = 3600s
max_use = 100000
smtpd_tls_cert_file = %[8]s
smtpd_tls_key_file = %[9]s
smtpd_tls_security_level = none
smtpd_tls_loglevel = 1
smtpd_sasl_auth_enable = no
`, s.ConfigDir, s.QueueDir, s.DataDir, s.Hostname, strings.Join(ifaces, ", "), protocols, s.Dir, s.CertPath, s.KeyPath)
	if s.SASLPath != "" {
		fmt.Fprintf(&b, "smtpd_sasl_type = dovecot\nsmtpd_sasl_path = %s\n", s.SASLPath)
	}
	return b.String()
}

// postfixMasterCf lists the three smtpd services on every listen address,
// then the internal services smtpd needs (cleanup, trivial-rewrite, anvil,
// tlsmgr…) and postlogd for maillog_file. Nothing is chrooted: the
// sandbox's paths are outside any chroot Postfix would set up.
func postfixMasterCf(s postfixSettings) string {
	var b strings.Builder
	b.WriteString("# private Postfix for mailchecks tests\n")
	sasl := "no"
	if s.SASLPath != "" {
		sasl = "yes"
	}
	submissionLevel := "may"
	if s.RequireTLS {
		submissionLevel = "encrypt"
	}
	authOnly := "yes"
	if s.AuthBeforeTLS {
		authOnly = "no"
	}
	for _, addr := range s.Listen {
		fmt.Fprintf(&b, "%s inet n - n - - smtpd\n  -o syslog_name=postfix/submission\n"+
			"  -o smtpd_tls_security_level=%s\n  -o smtpd_sasl_auth_enable=%s\n  -o smtpd_tls_auth_only=%s\n",
			postfixService(addr, s.SubmissionPort), submissionLevel, sasl, authOnly)
		fmt.Fprintf(&b, "%s inet n - n - - smtpd\n  -o syslog_name=postfix/smtps\n"+
			"  -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_security_level=encrypt\n  -o smtpd_sasl_auth_enable=%s\n",
			postfixService(addr, s.SMTPSPort), sasl)
		fmt.Fprintf(&b, "%s inet n - n - - smtpd\n  -o syslog_name=postfix/plain\n  -o smtpd_tls_security_level=none\n",
			postfixService(addr, s.PlainPort))
	}
	b.WriteString(`pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
`)
	return b.String()
}

// postfixService is a master.cf service name for a TCP listener on one
// address: "127.0.0.1:2525", "[::1]:2525".
func postfixService(addr string, port int) string {
	return net.JoinHostPort(addr, strconv.Itoa(port))
}
