// Command check_imaps_tls checks that a client can reach IMAP over TLS and
// will keep being able to: port open, chain trusted, name right, not expiring,
// a "* OK" greeting, optionally a login and a SELECT. See internal/imaptls.
package main

import (
	"context"

	"github.com/mailhost-checks/mailchecks/internal/imaptls"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/tlsjudge"
)

type cli struct {
	plugin.CommonFlags `embed:""`

	Host                string `short:"H" required:"" help:"Mail host name or IP address."`
	Port                int    `short:"p" help:"Port (default 993, or 143 with --starttls)."`
	StartTLS            bool   `name:"starttls" help:"Plain IMAP then STARTTLS (the server must advertise it, and LOGINDISABLED before TLS)."`
	AllowPlaintextLogin bool   `help:"With --starttls, do not warn when LOGIN is offered before TLS."`
	tlsjudge.Flags      `embed:""`
	ExpectCapability    []string `name:"expect-capability" placeholder:"CAP" help:"Capability the server must advertise over TLS (repeatable): WARNING if missing."`
	Login               string   `placeholder:"USER" help:"Log in as USER; the password comes from --password-file, password = in an --extra-opts file, or IMAP_PASSWORD, never from the command line."`
	PasswordFile        string   `placeholder:"PATH" help:"File whose first line is the password for --login."`
	Password            string   `secret:"" placeholder:"SECRET" help:"Password for --login, from an --extra-opts file only (password = …; the file must not be readable by every user); refused on the command line."`
	Select              string   `placeholder:"MAILBOX" help:"After --login, SELECT this mailbox."`
	CertFile            string   `placeholder:"PATH" help:"Certificate Dovecot is configured with (ssl_server_cert_file; ssl_cert on Dovecot 2.3): WARNING if the server serves another one (renewed, not reloaded)."`
}

func (c *cli) Check(ctx context.Context) plugin.Result {
	return imaptls.Check(ctx, imaptls.Config{
		Host:                c.Host,
		Port:                c.Port,
		StartTLS:            c.StartTLS,
		AllowPlaintextLogin: c.AllowPlaintextLogin,
		SNI:                 c.SNI,
		CAFile:              c.CAFile,
		Network:             c.Network(),
		AllAddresses:        c.AllAddresses,
		AllCertificates:     c.AllCertificates,
		Warning:             c.Warning,
		Critical:            c.Critical,
		MinTLS:              c.MinTLS,
		ExpectCapabilities:  c.ExpectCapability,
		Login:               c.Login,
		PasswordFile:        c.PasswordFile,
		Password:            c.Password,
		Select:              c.Select,
		CertFile:            c.CertFile,
	})
}

// info is the plugin's name, description and perfdata labels (the same in
// every state: see plugin.Info).
var info = plugin.Info{
	Name:        "check_imaps_tls",
	Description: "Can a client reach IMAP over TLS (implicit or STARTTLS), with a trusted, matching, unexpired certificate and a * OK greeting; optionally log in and SELECT.",
	PerfLabels:  []string{"connect_time", "tls_time", "greeting_time", "total_time", "days_left"},
}

func main() {
	plugin.Main(info, &cli{})
}
