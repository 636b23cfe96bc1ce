# ignoreip_oracle.py: fail2ban's own ignoreip code as the reference verdict
# for internal/fail2ban's matcher (ignoreip_oracle_test.go).
#
# Reads JSON [{"entries": [...], "ips": [...]}] on stdin; for each case adds
# the entries to a real fail2ban FileFilter (filter.py addIgnoreIP), and
# writes [{"printed": [...], "verdicts": {ip: bool}}]: what `get JAIL
# ignoreip` would return (getIgnoreIP, each IPAddr as str = ntoa) and what
# inIgnoreIPList decides for each ip. Run with /usr/bin/python3 (the
# interpreter Debian's fail2ban is built for).
#
# Names are resolved by glibc's getaddrinfo as fail2ban does, but only
# numerically (AI_NUMERICHOST) except for "localhost": the test sends no DNS
# query anywhere, and the Go side gets the same table.
import json
import socket
import sys

_real = socket.getaddrinfo


def _numeric_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    if host != "localhost":
        flags |= socket.AI_NUMERICHOST
    return _real(host, port, family, type, proto, flags)


socket.getaddrinfo = _numeric_getaddrinfo

from fail2ban.server.filter import FileFilter  # noqa: E402
from fail2ban.tests.dummyjail import DummyJail  # noqa: E402

out = []
for case in json.load(sys.stdin):
    f = FileFilter(DummyJail())
    f.ignoreSelf = False
    err = None
    for e in case["entries"]:
        try:
            f.addIgnoreIP(e)
        except Exception as ex:  # fail2ban refuses it when loading the jail
            err = "%s: %s" % (e, ex)
    out.append({
        "printed": [str(ip) for ip in f.getIgnoreIP()],
        "verdicts": {ip: bool(f.inIgnoreIPList(ip, log_ignore=False)) for ip in case["ips"]},
        "error": err,
    })
json.dump(out, sys.stdout)
