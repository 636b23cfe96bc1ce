package tlsjudge

// Flags are the command-line flags both TLS plugins share (embedded in
// each plugin's flags, at the same place in both): how to reach the
// server and how to judge its certificates.
type Flags struct {
	SNI             string     `name:"sni" help:"Server name to send and verify (default: the host, unless it is an IP address)."`
	CAFile          string     `name:"ca-file" help:"Trust only the CA certificates in this PEM file (default: the system roots)."`
	IPv4            bool       `short:"4" name:"ipv4" xor:"family" help:"IPv4 only."`
	IPv6            bool       `short:"6" name:"ipv6" xor:"family" help:"IPv6 only."`
	AllAddresses    bool       `help:"Check every A and AAAA address, not just the first that connects."`
	Warning         Expiry     `short:"w" placeholder:"LEFT" help:"WARNING when a certificate of the verified path has less left: days (30), hours (36h), a share of its lifetime (25%) or a Nagios range on days (30:). Default: 20% of the lifetime, at most 30 days."`
	Critical        Expiry     `short:"c" placeholder:"LEFT" help:"CRITICAL below this much left, as -w. Default: 10% of the lifetime, at most 14 days."`
	AllCertificates bool       `name:"all-certificates" default:"true" negatable:"" help:"Also ask for the certificate of the other key type (ECDSA or RSA) with a second TLS 1.2 handshake, and judge every certificate clients may be served (default on; --no-all-certificates for one handshake)."`
	MinTLS          TLSVersion `name:"min-tls" default:"1.2" help:"Lowest acceptable TLS version (1.0, 1.1, 1.2, 1.3)."`
}

// Network is the dial network -4/-6 ask for: "ip" (both), "ip4" or "ip6".
func (f Flags) Network() string {
	switch {
	case f.IPv4:
		return "ip4"
	case f.IPv6:
		return "ip6"
	}
	return "ip"
}
