// Package packaging holds no code: it is the home of the .deb/.rpm build
// (nfpm.yaml, build.sh, version.sh, run by `make package`) and of the tests
// that build the packages, check their version scheme against dpkg's and
// rpm's own comparison, and install the .deb for real in a private mount
// namespace.
package packaging
