#!/bin/sh
# lint.sh DEB RPM: lintian on the .deb, rpmlint on the .rpm; prints their
# findings and exits non-zero if either reports an error or a warning
# (info-level notes are printed, not counted).
#
# rpmlint runs in a private mount namespace with /usr on a throw-away
# overlay: it unpacks the payload with `rpm2cpio | cpio -id`, and nFPM's
# payload names are absolute (/usr/...), which GNU cpio writes below /, not
# below rpmlint's scratch directory. Never run rpmlint on this package
# outside such a namespace.
set -eu
deb=$1 rpm=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
status=0

echo "== lintian $deb"
out=$(lintian --pedantic --display-info "$deb" 2>&1 | grep -v '^running with root privileges' || true)
printf '%s\n' "$out"
if printf '%s\n' "$out" | grep -q '^[EW]:'; then status=1; fi

echo "== rpmlint $rpm"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
out=$(unshare --mount --propagation private sh -c '
	set -e
	mount -t tmpfs -o mode=0700 tmpfs "$0"
	mkdir "$0/up" "$0/work" "$0/home"
	mount -t overlay overlay -o "lowerdir=/usr,upperdir=$0/up,workdir=$0/work" /usr
	cd "$0/home"
	HOME="$0/home" rpmlint -c "$1" "$2"' "$scratch" "$here/rpmlint.toml" "$rpm" 2>&1 || true)
printf '%s\n' "$out"
if printf '%s\n' "$out" | grep -q ': [EW]: '; then status=1; fi
exit $status
