#!/usr/bin/env bash
# Install the Debian packages the tests, `make demo` and `make bench` need: the
# real daemons the plugins are tested against, and the peer plugins they are
# measured against. Installs only what is missing; needs root to install.
# Fails (never skips) when something cannot be had: a test that cannot start
# its daemon must not pass silently.
set -euo pipefail

packages=(
  # firewalld sandbox: daemon, private system bus, nftables backend, unshare
  firewalld dbus nftables util-linux iproute2
  # kernel-ruleset tests (internal/netfilter): iptables-nft, iptables-legacy
  iptables
  # contrib tests: sudo rules, ACL recipes, polkit rule, systemd drop-in
  sudo acl polkitd systemd
  # fail2ban sandbox (the system /usr/bin/python3 runs it)
  fail2ban
  # Dovecot sandbox and certificates
  dovecot-core dovecot-imapd openssl
  # remote gathering over SSH, Icinga 2 config validation, NRPE
  openssh-server openssh-client icinga2-bin nagios-nrpe-server nagios-nrpe-plugin
  # packages: rpm's own version comparison, file lists (rpm -qpl), rpm2cpio + cpio
  rpm cpio
  # peers for `make bench` (check_ssl_cert needs bind9-host, bc, curl, file)
  monitoring-plugins monitoring-plugins-contrib bind9-host bc curl file hyperfine
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} Debian packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages: ${missing[*]}" >&2
  echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Debian's maintainer scripts would start the daemons on the host: forbid it,
# the sandboxes start their own private instances.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && created_policy=1
fi
trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} packages"
