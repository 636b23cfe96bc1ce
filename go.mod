module github.com/mailhost-checks/mailchecks

go 1.26.8

require (
	github.com/alecthomas/kong v1.17.0
	github.com/atc0005/go-nagios v0.20.0
)
