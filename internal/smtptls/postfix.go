package smtptls

import "github.com/mailhost-checks/mailchecks/internal/tlsjudge"

// postfix is how the TLS judgement's fixes name Postfix: main.cf's TLS
// settings (smtpd_tls_chain_files since Postfix 3.4, the older
// smtpd_tls_cert_file/smtpd_tls_key_file pair beside it) and postfix
// reload, which re-reads the certificate for new smtpd processes.
var postfix = tlsjudge.Server{
	Name:              "Postfix",
	Reload:            "postfix reload",
	ReloadOrRestart:   "postfix reload (or systemctl reload postfix)",
	DeployHook:        "postfix reload",
	StaleCert:         "Postfix still serves the old one (renewed but not reloaded): run postfix reload",
	CertSetting:       "smtpd_tls_chain_files (or smtpd_tls_cert_file) in main.cf",
	CertAndKeySetting: "smtpd_tls_chain_files (or smtpd_tls_cert_file and smtpd_tls_key_file) in main.cf",
	ShowCertSetting:   "postconf smtpd_tls_chain_files smtpd_tls_cert_file",
	MinProtocolFix:    "smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2 in main.cf",
	ProtocolSettings:  "smtpd_tls_protocols, smtpd_tls_mandatory_protocols and smtpd_tls_ciphers",
	ShowProtocols:     "postconf smtpd_tls_protocols smtpd_tls_mandatory_protocols smtpd_tls_ciphers",
	TLSLog:            "journalctl -u postfix --grep -i tls",
	HandshakeStallFix: "see the Postfix log for the TLS error (journalctl -u postfix --grep -i tls); an overloaded host or a full process limit (default_process_limit) stalls smtpd",
	PlainPortFix:      "this port speaks plain SMTP: use --starttls (ports 587 and 25); for implicit TLS check the smtps service in master.cf (-o smtpd_tls_wrappermode=yes)",
	ServiceCheck:      "the service in master.cf, postconf -M; systemctl status postfix",
	FirewallServices:  map[int]string{25: "smtp", 465: "smtps", 587: "smtp-submission"},
	PathNote:          "many providers block port 25",
}
