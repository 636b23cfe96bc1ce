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

	Host                string              `short:"H" required:"" help:"Mail host name or IP address."`
	Port                int                 `short:"p" help:"Port (default 993, or 143 with --starttls)."`
	StartTLS            bool                `name:"starttls" help:"Plain IMAP then STARTTLS (the server must advertise it, and LOGINDISABLED before TLS)."`
	AllowPlaintextLogin bool                `help:"With --starttls, do not warn when LOGIN is offered before TLS."`
	SNI                 string              `name:"sni" help:"Server name to send and verify (default: the host, unless it is an IP address)."`
	CAFile              string              `name:"ca-file" help:"Trust only the CA certificates in this PEM file (default: the system roots)."`
	IPv4                bool                `short:"4" name:"ipv4" xor:"family" help:"IPv4 only."`
	IPv6                bool                `short:"6" name:"ipv6" xor:"family" help:"IPv6 only."`
	AllAddresses        bool                `help:"Check every A and AAAA address, not just the first that connects."`
	Warning             tlsjudge.Expiry     `short:"w" placeholder:"LEFT" help:"WARNING when a certificate of the verified path has less left: days (30), hours (36h), a share of its lifetime (25%) or a Nagios range on days (30:). Default: 20% of the lifetime, at most 30 days."`
	Critical            tlsjudge.Expiry     `short:"c" placeholder:"LEFT" help:"CRITICAL below this much left, as -w. Default: 10% of the lifetime, at most 14 days."`
	AllCertificates     bool                `name:"all-certificates" default:"true" negatable:"" help:"Also ask for the certificate of the other key type (ECDSA or RSA) with a second TLS 1.2 handshake, and judge every certificate clients may be served (default on; --no-all-certificates for one handshake)."`
	MinTLS              tlsjudge.TLSVersion `name:"min-tls" default:"1.2" help:"Lowest acceptable TLS version (1.0, 1.1, 1.2, 1.3)."`
	ExpectCapability    []string            `name:"expect-capability" placeholder:"CAP" help:"Capability the server must advertise over TLS (repeatable): WARNING if missing."`
	Login               string              `placeholder:"USER" help:"Log in as USER; the password comes from --password-file, password = in an --extra-opts file, or IMAP_PASSWORD, never from the command line."`
	PasswordFile        string              `placeholder:"PATH" help:"File whose first line is the password for --login."`
	Password            string              `secret:"" placeholder:"SECRET" help:"Password for --login, from an --extra-opts file only (password = …; the file must not be readable by every user); refused on the command line."`
	Select              string              `placeholder:"MAILBOX" help:"After --login, SELECT this mailbox."`
	CertFile            string              `placeholder:"PATH" help:"Certificate Dovecot is configured with (ssl_server_cert_file; ssl_cert on Dovecot 2.3): WARNING if the server serves another one (renewed, not reloaded)."`
}

func (c *cli) Check(ctx context.Context) plugin.Result {
	network := "ip"
	switch {
	case c.IPv4:
		network = "ip4"
	case c.IPv6:
		network = "ip6"
	}
	return imaptls.Check(ctx, imaptls.Config{
		Host:                c.Host,
		Port:                c.Port,
		StartTLS:            c.StartTLS,
		AllowPlaintextLogin: c.AllowPlaintextLogin,
		SNI:                 c.SNI,
		CAFile:              c.CAFile,
		Network:             network,
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
