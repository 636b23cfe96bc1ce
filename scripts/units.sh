#!/usr/bin/env bash
# units.sh: what scripts/deps.sh does about systemd units, on its own so it
# can be tested (scripts/units_test.go).
#
#   units.sh list                 the units that start something (services,
#                                 sockets, timers, paths), one per line,
#                                 from the unit directories themselves (works
#                                 where systemd is not running or not yet
#                                 installed: CI, a container)
#   units.sh mask-new BEFORE      mask every such unit not named in the file
#                                 BEFORE (a `list` taken before an install),
#                                 and add them to RECORD
#   units.sh unmask               unmask what RECORD lists, then remove it
#
# RECORD is $MAILCHECKS_UNITS_RECORD, default /var/lib/mailchecks/deps-masked-units.
set -euo pipefail
record=${MAILCHECKS_UNITS_RECORD:-/var/lib/mailchecks/deps-masked-units}

list() {
  local d
  for d in /lib/systemd/system /usr/lib/systemd/system /etc/systemd/system; do
    [ -d "$d" ] && find "$d" -maxdepth 1 \( -type f -o -type l \) \
      \( -name '*.service' -o -name '*.socket' -o -name '*.timer' -o -name '*.path' \) -printf '%f\n'
  done | sort -u
}

case "${1:-}" in
list)
  list
  ;;
mask-new)
  before=${2:?usage: units.sh mask-new BEFORE}
  new_units=$(comm -13 "$before" <(list) | grep -v '^$' || true)
  [ -n "$new_units" ] || exit 0
  command -v systemctl >/dev/null || exit 0 # no systemd: nothing can start them
  mkdir -p "$(dirname "$record")"
  # --root=/: offline, on the files (works without a running systemd). One
  # unit that cannot be masked (an admin's file of that name in
  # /etc/systemd/system) must not leave the others enabled.
  for u in $new_units; do
    systemctl --root=/ mask "$u" >/dev/null 2>&1 || echo "units.sh: could not mask $u" >&2
  done
  printf '%s\n' "$new_units" >>"$record"
  sort -u -o "$record" "$record"
  echo "deps: masked the $(printf '%s\n' "$new_units" | wc -l) systemd units the install brought (list: $record; undo: scripts/deps.sh --unmask)"
  ;;
unmask)
  [ -s "$record" ] || { echo "deps: nothing to unmask ($record is empty or absent)"; exit 0; }
  xargs systemctl --root=/ unmask <"$record"
  echo "deps: unmasked $(wc -l <"$record") units; enable the ones you want (systemctl enable --now UNIT)"
  rm -f "$record"
  ;;
*)
  echo "usage: units.sh list | mask-new BEFORE | unmask" >&2
  exit 2
  ;;
esac
