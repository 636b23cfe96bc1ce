// Package packaging holds no code: it is the home of the .deb/.rpm build
// (nfpm.yaml, build.sh, version.sh, run by `make package`) and of the tests
// that build the packages, check their version scheme against dpkg's and
// rpm's own comparison, install the .deb for real in a private mount
// namespace and the .rpm with rpm into a scratch root (rpm -V, rpm -e leaves
// nothing), and check that the contrib files both ship are right for
// Fedora/RHEL as well.
package packaging
