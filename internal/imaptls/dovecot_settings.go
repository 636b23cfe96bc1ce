package imaptls

import "github.com/mailhost-checks/mailchecks/internal/tlsjudge"

// Dovecot 2.4 renamed the settings a fix most often names, and each version
// refuses the other's names (a 2.4 config with ssl_cert fails to load). The
// check talks to the server over IMAP only and cannot ask which version it
// runs, so a fix names both forms, 2.4's first (Debian 13, Fedora, RHEL 10).
// Every setting a fix names is checked against the installed doveconf in
// dovecot_settings_test.go, on Debian 12 (2.3) and Debian 13 (2.4).
const (
	settingCert        = "ssl_server_cert_file (Dovecot 2.4; ssl_cert on 2.3)"
	settingCertAndKey  = "ssl_server_cert_file and ssl_server_key_file (Dovecot 2.4; ssl_cert and ssl_key on 2.3)"
	settingNoCleartext = "auth_allow_cleartext = no (Dovecot 2.4; disable_plaintext_auth = yes on 2.3)"
	doveconfCert       = "doveconf ssl_server_cert_file, or doveconf ssl_cert on 2.3"
)

// dovecot is how the TLS judgement's fixes name Dovecot.
var dovecot = tlsjudge.Server{
	Name:              "Dovecot",
	Reload:            "doveadm reload",
	ReloadOrRestart:   "doveadm reload (or systemctl reload dovecot)",
	DeployHook:        "systemctl reload dovecot",
	StaleCert:         "the server still serves the old one: reload dovecot",
	CertSetting:       settingCert,
	CertAndKeySetting: settingCertAndKey,
	ShowCertSetting:   doveconfCert,
	MinProtocolFix:    "ssl_min_protocol = TLSv1.2 in conf.d/10-ssl.conf",
	ProtocolSettings:  "ssl_min_protocol and ssl_cipher_list",
	ShowProtocols:     "doveconf ssl_min_protocol ssl_cipher_list",
	TLSLog:            "journalctl -u dovecot --grep -i ssl",
	HandshakeStallFix: "see the Dovecot log (imap-login); an overloaded or hung login process stalls handshakes: doveadm reload, or systemctl restart dovecot",
	PlainPortFix:      "if this is the plain IMAP port, use --starttls (port 143); for implicit TLS check the imaps listener in conf.d/10-master.conf",
	ServiceCheck:      "systemctl status dovecot",
	FirewallServices:  map[int]string{993: "imaps", 143: "imap"},
}
