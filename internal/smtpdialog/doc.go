// Package smtpdialog is the client side of an SMTP dialogue as a TLS check
// needs it, and nothing else: the greeting, EHLO and its extensions,
// STARTTLS (RFC 3207), EHLO again over TLS, AUTH PLAIN or LOGIN over TLS
// only (RFC 4954), QUIT.
//
// It reads with bounds (line length, lines per reply, a deadline per step)
// and refuses what a hostile peer or a man in the middle could use: bytes
// sent after the 220 to STARTTLS (the CVE-2011-0411 class), replies sent
// before STARTTLS was asked, AUTH before TLS. It returns plain data
// (Reply, Extensions, tls.ConnectionState) and *StepError; it dials
// nothing, makes no TLS configuration and judges no certificate: the caller
// does (the shared TLS engine behind check_smtp_tls).
//
// Typical use (STARTTLS on 587 or 25):
//
//	c := smtpdialog.New(conn)
//	c.Greeting(ctx)
//	ext, _, _ := c.Hello(ctx, "monitor.example.org")
//	if !ext.StartTLS { … }
//	state, err := c.StartTLS(ctx, cfg) // or RequestTLS, own handshake, UseTLS
//	ext, _, _ = c.Hello(ctx, "monitor.example.org")
//	c.Auth(ctx, smtpdialog.ChooseMechanism(ext), user, password)
//	c.Quit(ctx)
//
// For SMTPS (465) the caller passes a *tls.Conn to New and skips StartTLS.
package smtpdialog
