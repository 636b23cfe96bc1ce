# Mail-host check plugins: build, test, demo, bench.
MODULE   := github.com/mailhost-checks/mailchecks
# The release is set in VERSION (with its CHANGELOG.md section); builds after
# it are VERSION+N.gHASH (packaging/version.sh): -V, the packages and the
# changelog agree.
VERSION  := $(shell packaging/version.sh 2>/dev/null || cat VERSION)
LDFLAGS  := -s -w -X $(MODULE)/internal/plugin.Version=$(VERSION)
PLUGINS  := check_firewalld_mail check_fail2ban_trusted check_imaps_tls check_smtp_tls
BINS     := $(addprefix bin/,$(PLUGINS))
PREFIX   ?= /usr/lib/nagios/plugins
GO       ?= go
export CGO_ENABLED := 0

.PHONY: all build test test-debian13 demo-debian13 deps go-deps demo bench bench-go fuzz lint install package clean $(BINS)

all: build

build: $(BINS)

$(BINS):
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/$(notdir $@)

## deps: install the Debian packages the real-daemon tests need (as root)
deps:
	@scripts/deps.sh

## test: every unit and real-daemon test (installs packages when root).
## Go modules and nFPM are fetched first; the tests then run in a network
## namespace with only loopback (scripts/offline.sh), so no name a test
## resolves can become traffic off this machine.
test: deps go-deps
	$(GO) vet ./...
	scripts/offline.sh $(GO) test -count=1 -timeout 30m ./...

## test-debian13, demo-debian13: the same in a fresh Debian 13 "trixie" root
## (firewalld 2.3, fail2ban 1.1, Dovecot 2.4, OpenSSL 3.5, Icinga 2.14):
## debootstrap once (cached in /var/cache/mailchecks/debian13), then each run
## in its own mount namespace with the root pivoted in (scripts/debian13.sh)
test-debian13:
	scripts/debian13.sh make test

demo-debian13:
	scripts/debian13.sh make demo

## go-deps: what the tests need from the Go module proxy
go-deps:
	$(GO) mod download
	@GO=$(GO) packaging/nfpm-path.sh >/dev/null

## demo: build the plugins and replay the incidents against sandboxed daemons
demo: deps build
	$(GO) build -o bin/demo ./tools/demo
	scripts/offline.sh bin/demo

## bench: each plugin against its peers on the same sandboxed daemons
bench: deps build
	$(GO) build -o bin/benchmark ./tools/benchmark
	scripts/offline.sh bin/benchmark

## bench-go: Go benchmarks of the parsers and the evaluation
bench-go:
	$(GO) test -run='^$$' -bench=. ./...

## fuzz: every Fuzz* target of every package, FUZZTIME each (default 30s);
## targets are found with go test -list, so new ones are included. The
## differential targets in FUZZLONG (known_hosts against x/crypto: a
## disagreement there is a host-key check that differs from OpenSSH's) run
## FUZZTIME_LONG (default 10m): at ~300 execs/s, 30s found nothing that
## minutes did.
FUZZTIME ?= 30s
FUZZTIME_LONG ?= 10m
FUZZLONG ?= FuzzKnownHostsLine
fuzz:
	@list=$$($(GO) test -list '^Fuzz' ./...) || { echo "$$list"; exit 1; }; \
	echo "$$list" | awk '/^Fuzz/ { t[n++] = $$1; next } /^ok/ { for (i = 0; i < n; i++) print $$2, t[i]; n = 0 }' | \
	while read -r pkg target; do \
		ft=$(FUZZTIME); case " $(FUZZLONG) " in *" $$target "*) ft=$(FUZZTIME_LONG);; esac; \
		echo "== $$target ($$pkg, $$ft)"; \
		$(GO) test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$$ft $$pkg || exit 1; \
	done

lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
	staticcheck ./...

install: build
	install -d $(DESTDIR)$(PREFIX)
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/

## package: .deb and .rpm (nFPM, packaging/nfpm.yaml) into dist/; version
## scheme in packaging/version.sh
package:
	GO=$(GO) packaging/build.sh dist

clean:
	rm -rf bin dist
