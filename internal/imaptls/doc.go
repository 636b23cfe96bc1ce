// Package imaptls answers "can a client reach IMAP over TLS, and will it keep
// being able to?" for check_imaps_tls.
//
// It is split the way every check in this suite is:
//
//   - gather (dial.go, imap.go, cert.go): the only code that touches the
//     network or the disk. It resolves the host, connects, does TLS (implicit,
//     or IMAP STARTTLS), verifies the chain, and speaks just enough IMAP
//     (greeting, CAPABILITY, LOGIN, SELECT, LOGOUT) through a bounded reader.
//     Every step is timed and every failure is a *PhaseError naming the phase
//     it happened in, so a stall or a refusal is reported where it occurred.
//   - evaluate (evaluate.go): a pure function from the gathered Facts and the
//     Config to a plugin.Result. All state logic lives there and is tested
//     with tables.
//   - check.go wires the two together for the command. Nothing touches the
//     network before the flags are parsed.
//
// Only the standard library is used for TLS, X.509 and IMAP.
package imaptls
