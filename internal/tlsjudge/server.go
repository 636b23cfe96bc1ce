package tlsjudge

// Server is how a fix names the mail server behind a port: its settings,
// its reload, where it logs. Each protocol package fills one (Dovecot's in
// internal/imaptls, Postfix's in internal/smtptls); the judgement here only
// puts the words in place.
type Server struct {
	Name string // "Dovecot"
	// Reload applies a new certificate: "doveadm reload".
	Reload string
	// ReloadOrRestart is Reload with the service manager's form, for the
	// fixes of an expired or renewed certificate.
	ReloadOrRestart string
	// DeployHook is what an ACME client runs after a renewal.
	DeployHook string
	// StaleCert finishes "certificate: renewed on disk, " when the served
	// certificate differs from --cert-file.
	StaleCert string
	// CertSetting is where the certificate (full chain) is set;
	// CertAndKeySetting where certificate and key are; ShowCertSetting
	// prints the configured certificate's path.
	CertSetting, CertAndKeySetting, ShowCertSetting string
	// MinProtocolFix makes TLS 1.2 the minimum.
	MinProtocolFix string
	// ProtocolSettings are the settings that decide which versions and
	// suites a handshake may use; ShowProtocols prints them.
	ProtocolSettings, ShowProtocols string
	// TLSLog shows the server's TLS errors.
	TLSLog string
	// HandshakeStallFix is the fix for a handshake that stalled.
	HandshakeStallFix string
	// PlainPortFix is the fix when the port does not speak TLS at all.
	PlainPortFix string
	// ServiceCheck says whether the server listens, after "ss -ltn ...; ".
	ServiceCheck string
	// FirewallServices are firewalld's service names by port ("imaps").
	FirewallServices map[int]string
	// PathNote adds to the fix of a filtered port ("many providers block
	// port 25").
	PathNote string
}
