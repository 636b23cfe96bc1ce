#!/usr/bin/env bash
# Install the Debian packages the tests, `make demo` and `make bench` need: the
# real daemons the plugins are tested against, and the peer plugins they are
# measured against. Installs only what is missing; needs root to install.
# Fails (never skips) when something cannot be had: a test that cannot start
# its daemon must not pass silently.
#
# The host is left as it was, but for the files: the tests and the demo run
# their own private daemons, never the system's. policy-rc.d keeps the
# packages from starting their daemons, and every systemd unit the install
# brought (firewalld, fail2ban, dovecot, icinga2, nagios-nrpe-server, ssh,
# their sockets and timers, and those of their dependencies) that was not on
# the host before is masked: nothing of it starts, at boot, through a socket
# or through D-Bus (a firewalld that nobody configured would). Units already
# present are not touched. The masked units are listed in
# /var/lib/mailchecks/deps-masked-units; `scripts/deps.sh --unmask` takes
# the masks back (then enable what you want).
#
#   scripts/deps.sh            install what is missing, mask the new units
#   scripts/deps.sh --unmask   unmask the units an earlier run masked
set -euo pipefail

units="$(dirname "$0")/units.sh"
if [ "${1:-}" = --unmask ]; then
  exec "$units" unmask
fi

packages=(
  # firewalld sandbox: daemon, private system bus, nftables backend, unshare
  firewalld dbus nftables util-linux iproute2
  # NetworkManager inside the firewalld sandbox (its zone bindings survive a
  # reload); installed without Recommends and masked on the host below
  network-manager
  # kernel-ruleset tests (internal/netfilter): iptables-nft, iptables-legacy;
  # ipset for fail2ban's iptables-ipset banaction (check_fail2ban_trusted)
  iptables ipset
  # contrib tests: sudo rules, ACL recipes, polkit rule, systemd drop-in
  sudo acl polkitd systemd
  # fail2ban sandbox (the system /usr/bin/python3 runs it)
  fail2ban
  # Dovecot sandbox and certificates
  dovecot-core dovecot-imapd openssl
  # Postfix sandbox (check_smtp_tls): own config dir, never the host's mail
  postfix
  # remote gathering over SSH, Icinga 2 config validation, NRPE
  openssh-server openssh-client icinga2-bin nagios-nrpe-server nagios-nrpe-plugin
  # packages: rpm's own version comparison, file lists (rpm -qpl), rpm2cpio +
  # cpio; the linters the packages must pass; man to render the man pages
  rpm cpio lintian rpmlint man-db
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
# Postfix's debconf would otherwise ask what kind of mail host this is and
# write /etc/postfix/main.cf: "No configuration" leaves the host's mail alone
# (the sandbox writes its own main.cf in a directory of its own).
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
before=$(mktemp)
trap '[ -n "$created_policy" ] && rm -f "$policy"; rm -f "$before"' EXIT
"$units" list >"$before"
apt-get update -qq
# network-manager alone without Recommends (modemmanager, ppp, wpasupplicant:
# nothing the sandbox uses)
rest=()
for p in "${missing[@]}"; do [ "$p" = network-manager ] || rest+=("$p"); done
[ ${#rest[@]} -eq 0 ] || apt-get install -y -qq "${rest[@]}" >/dev/null
if [[ " ${missing[*]} " == *" network-manager "* ]]; then
  apt-get install -y -qq --no-install-recommends network-manager >/dev/null
  # Its postinst enables NetworkManager on the host (policy-rc.d only stops
  # it starting now): it must never manage the host's network, at the next
  # boot or by D-Bus activation. The tests start their own inside a network
  # namespace.
  nm_units=(NetworkManager.service NetworkManager-dispatcher.service NetworkManager-wait-online.service)
  systemctl disable "${nm_units[@]}" >/dev/null 2>&1 || true
  systemctl mask "${nm_units[@]}" >/dev/null 2>&1 || {
    echo "deps: cannot mask ${nm_units[*]}: NetworkManager would manage the host's network at the next boot" >&2
    exit 1
  }
fi
echo "deps: installed ${#missing[@]} packages"

# Mask exactly the units that were not there before the install.
"$units" mask-new "$before"
