// Package imaptls answers "can a client reach IMAP over TLS, and will it keep
// being able to?" for check_imaps_tls.
//
// It is split the way every check in this suite is:
//
//   - gather (gather.go, imap.go, altcert.go): the only code that touches the
//     network or the disk. It resolves the host, connects and does TLS
//     (implicit, or IMAP STARTTLS) with the shared engine (internal/tlsjudge),
//     and speaks just enough IMAP (greeting, CAPABILITY, LOGIN, SELECT,
//     LOGOUT) through the shared bounded reader (internal/linereader).
//     Every step is timed and every failure is a *tlsjudge.PhaseError naming
//     the phase it happened in, so a stall or a refusal is reported where it
//     occurred.
//   - evaluate (evaluate.go, explain.go): a pure function from the gathered
//     Facts and the Config to a plugin.Result. The IMAP findings are judged
//     here, the TLS ones by tlsjudge.Judge in Dovecot's words
//     (dovecot_settings.go). All state logic is tested with tables.
//   - check.go wires the two together for the command. Nothing touches the
//     network before the flags are parsed.
//
// Only the standard library is used for TLS, X.509 and IMAP.
package imaptls
