#!/bin/sh
# build.sh [OUTDIR]: build the .deb and .rpm of this checkout with nFPM into
# OUTDIR (default dist/). `make package` runs it; so does packaging's test,
# with a scratch OUTDIR. Prints the two package paths, one per line.
#
# Binaries: static (CGO_ENABLED=0), -trimpath, with the package version
# (packaging/version.sh) as what -V prints. nFPM comes from nfpm-path.sh
# (installed with `go install` when missing).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$root/dist}
case "$out" in /*) ;; *) out=$(pwd)/$out ;; esac
GO=${GO:-go}
module=github.com/mailhost-checks/mailchecks

cd "$root"
# MAILCHECKS_VERSION overrides the derived version (a source tree without
# git history); it must follow the same scheme.
version=${MAILCHECKS_VERSION:-$("$here/version.sh")}
case "$version" in
[0-9]*) ;;
*) echo "build.sh: version \"$version\" must start with a digit" >&2; exit 1 ;;
esac
if printf '%s' "$version" | grep -q '[^A-Za-z0-9.+~]'; then
	echo "build.sh: version \"$version\" may hold only letters, digits and . + ~ (valid for dpkg and rpm)" >&2
	exit 1
fi
arch=$($GO env GOARCH)

nfpm=$(GO=$GO "$here/nfpm-path.sh")

work="$out/.build-$version"
rm -rf "$work"
mkdir -p "$work/bin" "$out"
trap 'rm -rf "$work"' EXIT

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

# The changelog first: CHANGELOG.md must have VERSION's section
# (tools/changelog says what is missing), before anything is built.
mkdir -p "$work/doc" "$work/man" "$work/completion"
$GO run ./tools/changelog -version "$version" -o "$work/doc/changelog.yml"
gzip -9n <CHANGELOG.md >"$work/doc/changelog.gz"

for p in check_firewalld_mail check_fail2ban_trusted check_imaps_tls check_smtp_tls; do
	CGO_ENABLED=0 $GO build -trimpath \
		-ldflags "-s -w -X $module/internal/plugin.Version=$version" \
		-o "$work/bin/$p" "./cmd/$p"
	# Man pages from the flag definitions (the plugin's hidden --man),
	# dated SOURCE_DATE_EPOCH. Built for this machine's GOARCH, so the
	# binary runs here.
	"$work/bin/$p" --man | gzip -9n >"$work/man/$p.1.gz"
	"$work/bin/$p" --bash-completion >"$work/completion/$p"
done

# contrib/, README, docs/*.md and LICENSE go into both packages exactly as they are in
# the tree: the files name both plugin directories (Debian's
# /usr/lib/nagios/plugins, Fedora/RHEL's /usr/lib64/nagios/plugins) wherever
# a path applies to both, and contrib/nrpe has one file per distribution
# where a file can name only one. (An earlier build rewrote every path for
# the .rpm, which also turned the README's "/usr/lib/... on Debian" into a
# wrong "/usr/lib64/... on Debian".) nfpm.yaml reads them relative to the
# checkout, the directory we are in.
# nFPM expands ${VAR} in most fields but not in changelog: that one path is
# filled in here, in a copy of the config.
# The docs/ pages go into the rpm as %doc, one entry each (nFPM globs
# only plain files: the .deb's entry is a glob in nfpm.yaml).
docs_rpm=$(for page in docs/*.md; do
	printf '  - src: ./%s\n    dst: /usr/share/doc/mailchecks/docs/%s\n    packager: rpm\n    type: doc\n    file_info: {mode: 0644}\n' "$page" "${page#docs/}"
done)
sed "s|\${MAILCHECKS_WORK}|$work|g" "$here/nfpm.yaml" |
	awk -v entries="$docs_rpm" '/^  # DOCS_RPM_ENTRIES$/ { print entries; next } { print }' >"$work/nfpm.yaml"
grep -q '^  - src: ./docs/' "$work/nfpm.yaml" || { echo "build.sh: no docs/*.md entry written for the rpm" >&2; exit 1; }
for format in deb rpm; do
	case $format in
	deb) plugindir=/usr/lib/nagios/plugins ;;
	rpm) plugindir=/usr/lib64/nagios/plugins ;;
	esac
	MAILCHECKS_VERSION=$version MAILCHECKS_ARCH=$arch MAILCHECKS_BIN="$work/bin" \
		MAILCHECKS_PLUGINDIR=$plugindir MAILCHECKS_WORK="$work" \
		"$nfpm" package --config "$work/nfpm.yaml" --packager $format --target "$out/" >&2
done
ls -1 "$out"/mailchecks*"$version"*.deb "$out"/mailchecks*"$version"*.rpm
