#!/usr/bin/env bash
# Run a command (default: `make test`) in a fresh Debian 13 "trixie" root, as a
# new user on Debian 13 would: the root's own apt installs what `make deps`
# asks for, so the tests meet Debian 13's firewalld, fail2ban, Dovecot,
# OpenSSL and Icinga 2, not Debian 12's.
#
# The root is the real root of its own mount namespace (unshare -m, then
# pivot_root), not a chroot: the sandboxes enter private mount namespaces of
# their own, which would escape a chroot.
#
# Cached between runs, under $DEBIAN13_CACHE (default /var/cache/mailchecks/debian13):
#   base/          debootstrap --variant=minbase trixie (made once)
#   apt-archives/  every .deb the runs downloaded
#   go-build/      the Go build cache of the root
#   kept/          with DEBIAN13_KEEP=1 only: the previous run's changes
# Each run gets a fresh root: an overlay of base/ with a throwaway upper
# directory, removed afterwards, so what one run installed or left behind
# never reaches the next.
#
# Brought in from the host, read-only where possible: the Go toolchain
# (/usr/local/go or `go env GOROOT`), the module cache, this work tree (at the
# same path, so `make` and the tests run where they would on the host),
# /etc/resolv.conf for apt. Needs root.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "debian13.sh: needs root (debootstrap, mount namespaces)" >&2
	exit 1
fi
command -v debootstrap >/dev/null || {
	echo "debian13.sh: installing debootstrap"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${DEBIAN13_CACHE:-/var/cache/mailchecks/debian13}
base=$cache/base
goroot=$(go env GOROOT)
gomodcache=$(go env GOMODCACHE)
[ $# -gt 0 ] || set -- make test

# mirror prints the Debian mirror the host's apt already uses (deb822 or
# one-line format), so the root comes from the same place as Debian 12's
# packages and no address is written down here.
mirror() {
	if [ -n "${DEBIAN13_MIRROR:-}" ]; then
		echo "$DEBIAN13_MIRROR"
		return
	fi
	local uri
	uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$uri" ]; then
		uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
	fi
	[ -n "$uri" ] || { echo "debian13.sh: no Debian mirror in the host's apt sources; set DEBIAN13_MIRROR" >&2; exit 1; }
	echo "$uri"
}

# make_base runs debootstrap once; a half-made root (interrupted run) is
# thrown away, never used.
make_base() {
	[ -e "$base/.mailchecks-complete" ] && return
	rm -rf "$base.partial"
	local m
	m=$(mirror)
	echo "debian13.sh: debootstrap trixie (minbase + make, git, ca-certificates) into $base"
	debootstrap --variant=minbase --include=make,git,ca-certificates trixie "$base.partial" "$m" \
		>"$cache/debootstrap.log" 2>&1 || {
		tail -n 20 "$cache/debootstrap.log" >&2
		echo "debian13.sh: debootstrap failed (log: $cache/debootstrap.log)" >&2
		exit 1
	}
	# The suite's security updates, as a Debian 13 host has them.
	local sec=${m%/debian}/debian-security
	[ "$sec" != "$m/debian-security" ] || sec=
	{
		echo "deb $m trixie main"
		echo "deb $m trixie-updates main"
		[ -z "$sec" ] || echo "deb $sec trixie-security main"
	} >"$base.partial/etc/apt/sources.list"
	touch "$base.partial/.mailchecks-complete"
	rm -rf "$base"
	mv "$base.partial" "$base"
}

mkdir -p "$cache/apt-archives/partial" "$cache/go-build" "$gomodcache"
make_base

# DEBIAN13_KEEP=1 keeps the upper directory (what the run installed and
# changed) in $cache/kept for the next run: for working on the suite, not CI.
if [ -n "${DEBIAN13_KEEP:-}" ]; then
	run=$cache/kept
	mkdir -p "$run"
else
	run=$(mktemp -d /var/tmp/mailchecks-debian13.XXXXXX)
	trap 'rm -rf "$run"' EXIT
fi
mkdir -p "$run/upper" "$run/work" "$run/root"

# Everything below runs in a private mount namespace: nothing is mounted on
# the host, and the mounts go away with the last process in it.
export DEBIAN13_RUN=$run DEBIAN13_BASE=$base DEBIAN13_CACHE_DIR=$cache \
	DEBIAN13_REPO=$repo DEBIAN13_GOROOT=$goroot DEBIAN13_GOMODCACHE=$gomodcache
unshare --mount --propagation private -- bash -euo pipefail -c '
	r=$DEBIAN13_RUN/root
	mount -t overlay overlay -o "lowerdir=$DEBIAN13_BASE,upperdir=$DEBIAN13_RUN/upper,workdir=$DEBIAN13_RUN/work" "$r"
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs -o mode=0755 tmpfs "$r/run"
	mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
	bindro() { mkdir -p "$r$2"; mount --bind "$1" "$r$2"; mount -o remount,bind,ro "$r$2"; }
	bindrw() { mkdir -p "$r$2"; mount --bind "$1" "$r$2"; }
	bindro "$DEBIAN13_GOROOT" /usr/local/go
	bindrw "$DEBIAN13_GOMODCACHE" /root/go/pkg/mod
	bindrw "$DEBIAN13_CACHE_DIR/go-build" /root/.cache/go-build
	bindrw "$DEBIAN13_CACHE_DIR/apt-archives" /var/cache/apt/archives
	bindrw "$DEBIAN13_REPO" "$DEBIAN13_REPO"
	cp -L /etc/resolv.conf "$r/etc/resolv.conf"
	# The machine'"'"'s own name, as the Debian installer writes it (sudo looks
	# it up; the tests run without DNS). localhost stays as Debian 13 has it:
	# 127.0.0.1 and ::1.
	echo "127.0.1.1	$(hostname)" >>"$r/etc/hosts"
	# The host admin'"'"'s own CAs (a TLS-inspecting proxy, a private mirror):
	# a Debian 13 host on the same network would have them too.
	if [ -d /usr/local/share/ca-certificates ]; then
		cp -R /usr/local/share/ca-certificates/. "$r/usr/local/share/ca-certificates/"
	fi
	mkdir -p "$r/.oldroot"
	cd "$r"
	pivot_root . .oldroot
	umount -l /.oldroot
	rmdir /.oldroot
	update-ca-certificates >/dev/null 2>&1
	cd "$DEBIAN13_REPO"
	# A clean environment, but the Go and proxy settings the host runs with.
	keep=()
	for v in GOFLAGS GOPROXY GOSUMDB GONOSUMDB GOPRIVATE GOTOOLCHAIN \
		http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
		[ -z "${!v:-}" ] || keep+=("$v=${!v}")
	done
	exec env -i HOME=/root TERM="${TERM:-dumb}" CI="${CI:-}" LANG=C.UTF-8 "${keep[@]}" \
		PATH=/usr/local/go/bin:/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"$@"
' debian13 "$@"
