package imaptls

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
