#!/usr/bin/env bash
# Run a command in a private network namespace that has only loopback.
#
# The tests, `make demo` and `make bench` talk only to daemons they start on
# 127.0.0.1/::1 or in namespaces of their own, but the code under test also
# resolves names (ignoreip entries, ignoreself, --ip-from-dns, -H), and a
# name missing from /etc/hosts would otherwise become a query to the
# machine's resolver. In here such a query fails at once (no route) and no
# packet leaves the machine, whatever a test whitelists.
#
# Needs root (as the real-daemon tests do); as another user it runs the
# command as it is and says so.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
	echo "offline.sh: not root: running without a private network namespace" >&2
	exec "$@"
fi
exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' offline.sh "$@"
