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

record=/var/lib/mailchecks/deps-masked-units

# unit_files lists the units that start something (services, sockets,
# timers, paths) from the unit directories themselves, so that it works
# where systemd is not running or not yet installed (CI, a container).
unit_files() {
  local d
  for d in /lib/systemd/system /usr/lib/systemd/system /etc/systemd/system; do
    [ -d "$d" ] && find "$d" -maxdepth 1 \( -type f -o -type l \) \
      \( -name '*.service' -o -name '*.socket' -o -name '*.timer' -o -name '*.path' \) -printf '%f\n'
  done | sort -u
}

if [ "${1:-}" = --unmask ]; then
  [ -s "$record" ] || { echo "deps: nothing to unmask ($record is empty or absent)"; exit 0; }
  xargs systemctl --root=/ unmask <"$record"
  echo "deps: unmasked $(wc -l <"$record") units; enable the ones you want (systemctl enable --now UNIT)"
  rm -f "$record"
  exit 0
fi

packages=(
  # firewalld sandbox: daemon, private system bus, nftables backend, unshare
  firewalld dbus nftables util-linux iproute2
  # contrib tests: sudo rules, ACL recipes, polkit rule, systemd drop-in
  sudo acl polkitd systemd
  # fail2ban sandbox (the system /usr/bin/python3 runs it)
  fail2ban
  # Dovecot sandbox and certificates
  dovecot-core dovecot-imapd openssl
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
before=$(unit_files)
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} packages"

# Mask exactly the units that were not there before the install.
new_units=$(comm -13 <(printf '%s\n' "$before") <(unit_files) | grep -v '^$' || true)
if [ -n "$new_units" ] && command -v systemctl >/dev/null; then
  mkdir -p "$(dirname "$record")"
  # shellcheck disable=SC2086 # one word per unit
  systemctl --root=/ mask $new_units >/dev/null 2>&1 || {
    # One that cannot be masked (an admin's file of that name in
    # /etc/systemd/system) must not keep the others enabled.
    for u in $new_units; do systemctl --root=/ mask "$u" >/dev/null 2>&1 || echo "deps: could not mask $u" >&2; done
  }
  printf '%s\n' "$new_units" >>"$record"
  sort -u -o "$record" "$record"
  echo "deps: masked the $(printf '%s\n' "$new_units" | wc -l) systemd units the install brought (list: $record; undo: scripts/deps.sh --unmask)"
fi
