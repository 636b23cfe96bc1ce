// Package sandbox starts the real daemons this suite checks (firewalld, fail2ban,
// Dovecot, sshd) and the monitoring that runs it (Icinga 2 master and agent
// nodes) as private, throw-away instances for tests, `make demo` and
// `make bench`: own config dirs, own sockets, loopback or a private network
// namespace only. Every start returns a handle whose Stop kills exactly the
// processes it started, by PID.
//
// A daemon that cannot be started is an error, never a skip: the tests call
// t.Fatal on it, so a machine without the packages fails loudly (`make deps`
// installs them when run as root).
package sandbox
