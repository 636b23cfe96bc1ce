module github.com/mailhost-checks/mailchecks

go 1.26.8

// Certificates with a negative serial number (issued by old private CAs)
// are accepted, as OpenSSL accepts them; Go refuses them since 1.23.
godebug x509negativeserial=1

require (
	github.com/alecthomas/kong v1.17.0
	github.com/atc0005/go-nagios v0.20.0
	github.com/beevik/etree v1.8.1
	github.com/godbus/dbus/v5 v5.2.4
	github.com/kisielk/og-rek v1.3.0
	go.uber.org/goleak v1.3.0
	golang.org/x/crypto v0.59.0
)

require (
	github.com/aristanetworks/gomap v0.0.0-20230726210543-f4e41046dced // indirect
	golang.org/x/exp v0.0.0-20230725093048-515e97ebf090 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
