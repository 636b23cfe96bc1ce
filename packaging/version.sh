#!/bin/sh
# version.sh: the package version of this checkout, valid for dpkg and rpm,
# printed on stdout. The packaged plugins print the same string for -V.
#
#   version.sh                    from the VERSION file and git (below)
#   version.sh DESCRIBE [COUNT]   convert a given describe output (tests);
#                                 COUNT is the commit count for untagged trees
#
# The release version is set by the project in VERSION (one line, e.g.
# 0.1.0), in the same commit as its CHANGELOG.md section: that commit IS the
# release (tag it v0.1.0 if you like; a tag that disagrees with VERSION is an
# error). A build of the commit that last changed VERSION is "0.1.0"; N
# commits later it is "0.1.0+N.gHASH", as if that commit were tagged. Without
# git (a source tarball) VERSION is the version as it is. Without a VERSION
# file the scheme falls back to `git describe --tags --always --dirty`.
#
# Scheme (v-prefix dropped; "-" inside a tag such as v1.3.0-rc1 becomes "~",
# which sorts before the release in both dpkg and rpm):
#   v1.2.3                    -> 1.2.3            the tagged release
#   v1.2.3-4-gabc1234         -> 1.2.3+4.gabc1234 4 commits after it
#   v1.3.0-rc1-2-gabc1234     -> 1.3.0~rc1+2.gabc1234
#   abc1234 (no tag at all)   -> 0.0.0+N.gabc1234 N = commits in HEAD
#   ...-dirty                 -> same, with ".dirty" (exact tag: 1.2.3+0.dirty)
# "+" sorts after the end of a version in dpkg (and rpm sees a further
# segment, which also sorts after), so a build after a tag is newer than the
# tag and older than the next tag; the commit count orders builds between
# tags. nFPM would turn a raw "v1.2.3-4-gabc" into "1.2.3~4-gabc", which
# sorts BEFORE 1.2.3: packaging/nfpm.yaml uses version_schema: none and
# gets this string as it is. packaging/version_test.go checks the order with
# dpkg --compare-versions and rpm's own rpm.vercmp. Without git history
# (a source tarball), give build.sh the version: MAILCHECKS_VERSION=1.2.3.
set -eu

if [ "$#" -ge 1 ]; then
	describe=$1
	count=${2:-0}
elif [ -f "$(dirname "$0")/../VERSION" ]; then
	file=$(cd "$(dirname "$0")/.." && pwd)/VERSION
	release=$(tr -d ' \t\r\n' <"$file")
	root=$(dirname "$file")
	if ! git -C "$root" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		printf '%s\n' "$release" # no git history: VERSION as it is
		exit 0
	fi
	tag=$(git -C "$root" describe --tags --exact-match HEAD 2>/dev/null || true)
	if [ -n "$tag" ] && [ "${tag#v}" != "$release" ]; then
		echo "version.sh: HEAD is tagged $tag but VERSION says $release: they must agree" >&2
		exit 1
	fi
	since=$(git -C "$root" log -1 --format=%H -- VERSION)
	count=0
	[ -n "$since" ] && count=$(git -C "$root" rev-list --count "$since..HEAD")
	describe=v$release
	[ "$count" -gt 0 ] && describe=$describe-$count-g$(git -C "$root" rev-parse --short HEAD)
	[ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ] && describe=$describe-dirty
	count=0
else
	if ! describe=$(git describe --tags --always --dirty 2>/dev/null); then
		echo "version.sh: not a git checkout (git describe failed): cannot derive a package version" >&2
		exit 1
	fi
	count=$(git rev-list --count HEAD)
fi

dirty=
case "$describe" in
*-dirty)
	dirty=.dirty
	describe=${describe%-dirty}
	;;
esac

# <tag>-<n>-g<hash>: a build after a tag.
after=$(printf '%s\n' "$describe" | sed -n 's/^\(.*\)-\([0-9][0-9]*\)-g\([0-9a-f][0-9a-f]*\)$/\1 \2 \3/p')
if [ -n "$after" ]; then
	set -- $after
	tag=$1 local="+$2.g$3$dirty"
elif printf '%s\n' "$describe" | grep -Eq '^[0-9a-f]{4,40}$' && ! git rev-parse -q --verify "refs/tags/$describe" >/dev/null 2>&1; then
	# --always fell back to the abbreviated hash: no tag in the history.
	tag=0.0.0 local="+$count.g$describe$dirty"
else
	tag=$describe local=${dirty:+"+0$dirty"}
fi

tag=${tag#v}
case "$tag" in
[0-9]*) ;;
*)
	echo "version.sh: tag \"$tag\" does not start with a digit (want v1.2.3 or 1.2.3)" >&2
	exit 1
	;;
esac
# Only characters both formats allow in a version: alphanumerics . + ~
tag=$(printf '%s' "$tag" | tr -- '-' '~' | tr -c 'A-Za-z0-9.+~' '.')
printf '%s%s\n' "$tag" "$local"
