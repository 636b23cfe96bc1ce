// Package contrib holds no Go code of its own: it is the home of the Icinga 2,
// NRPE, sudoers, polkit and systemd files that deploy the plugins, and of the
// tests (contrib_test.go and friends) that run those files through the real
// Icinga 2, NRPE, sudo, polkitd and firewalld so they cannot drift from the
// plugins' flags.
package contrib
