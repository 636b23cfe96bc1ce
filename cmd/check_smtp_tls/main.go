// Command check_smtp_tls checks that a client can reach SMTP over TLS and
// will keep being able to: port open, 220 greeting, STARTTLS offered and
// accepted (or implicit TLS on 465), chain trusted, name right, not
// expiring, EHLO over TLS, no AUTH before TLS, optionally a login. See
// internal/smtptls.
package main

import (
	"context"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/smtptls"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

type cli struct {
	plugin.CommonFlags `embed:""`

	Host               string `short:"H" required:"" help:"Mail host name or IP address."`
	Port               int    `short:"p" help:"Port (default 587). 465 is implicit TLS (SMTPS), every other port STARTTLS (587 submission, 25 MX)."`
	ImplicitTLS        bool   `name:"implicit-tls" xor:"mode" help:"TLS from the first byte (SMTPS), whatever the port."`
	StartTLS           bool   `name:"starttls" xor:"mode" help:"Plain SMTP then STARTTLS, whatever the port."`
	AllowPlaintextAuth bool   `help:"With STARTTLS, do not warn when AUTH is offered before TLS."`
	tlsjudge.Flags     `embed:""`
	EHLO               string `name:"ehlo" placeholder:"NAME" help:"Name to send with EHLO (default: this host's name)."`
	Login              string `placeholder:"USER" help:"Log in as USER (AUTH PLAIN or LOGIN, over TLS only); the password comes from --password-file, password = in an --extra-opts file, or SMTP_PASSWORD, never from the command line."`
	PasswordFile       string `placeholder:"PATH" help:"File whose first line is the password for --login."`
	Password           string `secret:"" placeholder:"SECRET" help:"Password for --login, from an --extra-opts file only (password = …; the file must not be readable by every user); refused on the command line."`
	CertFile           string `placeholder:"PATH" help:"Certificate Postfix is configured with (smtpd_tls_chain_files or smtpd_tls_cert_file): WARNING if the server serves another one (renewed, not reloaded: postfix reload)."`
}

func (c *cli) Check(ctx context.Context) plugin.Result {
	return smtptls.Check(ctx, smtptls.Config{
		Host:               c.Host,
		Port:               c.Port,
		ImplicitTLS:        c.ImplicitTLS,
		StartTLS:           c.StartTLS,
		AllowPlaintextAuth: c.AllowPlaintextAuth,
		Login:              c.Login,
		PasswordFile:       c.PasswordFile,
		Password:           c.Password,
		CertFile:           c.CertFile,
		EHLOName:           c.EHLO,
		TLS: tlsjudge.Config{
			SNI:             c.SNI,
			CAFile:          c.CAFile,
			Network:         c.Network(),
			AllAddresses:    c.AllAddresses,
			AllCertificates: c.AllCertificates,
			Warning:         c.Warning,
			Critical:        c.Critical,
			MinTLS:          c.MinTLS,
		},
	})
}

// info is the plugin's name, description and perfdata labels (the same in
// every state: see plugin.Info).
var info = plugin.Info{
	Name:        "check_smtp_tls",
	Description: "Can a client reach SMTP over TLS (STARTTLS on 587/25, implicit TLS on 465), with a 220 greeting, a trusted, matching, unexpired certificate and no AUTH before TLS; optionally log in.",
	PerfLabels:  smtptls.PerfLabels,
}

func main() {
	plugin.Main(info, &cli{})
}
