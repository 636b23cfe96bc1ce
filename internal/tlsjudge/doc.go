// Package tlsjudge is the TLS engine check_imaps_tls and check_smtp_tls
// share: dialing (Resolve, Connect, ClientConfig), the verdict on a
// handshake (JudgeConnection: chain, name, dates, what clients refuse), the
// second handshake for the other key type (AltHandshake), the lifetime-aware
// expiry thresholds (Expiry), and the judgement and explanations of all of
// it (Judge, ExplainConnect, ExplainHandshake, DaysLeftMetric).
//
// The protocol dialogues (IMAP in internal/imaptls, SMTP in
// internal/smtpdialog and internal/smtptls) gather a Session and call
// Judge; every fix names the server's own settings and reload command,
// which the caller passes as plain data (Server). Gather (dial.go, the
// probes) → evaluate (Judge, pure) → render (internal/plugin), as in every
// check of the suite.
package tlsjudge
