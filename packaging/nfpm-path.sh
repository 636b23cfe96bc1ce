#!/bin/sh
# nfpm-path.sh: print the path of nFPM, installing v2.45.2 with `go install`
# when it is missing (newer versions do not install here). build.sh uses it;
# so does `make test`, before the tests run without network.
set -eu
GO=${GO:-go}
nfpm_version=v2.45.2
nfpm=$(command -v nfpm || true)
if [ -z "$nfpm" ]; then
	nfpm="$($GO env GOPATH | cut -d: -f1)/bin/nfpm"
	if [ ! -x "$nfpm" ]; then
		echo "nfpm-path.sh: installing nFPM $nfpm_version" >&2
		$GO install github.com/goreleaser/nfpm/v2/cmd/nfpm@$nfpm_version
	fi
fi
echo "$nfpm"
