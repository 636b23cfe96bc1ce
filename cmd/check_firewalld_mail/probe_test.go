package main

import (
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// startProbedFirewalld starts a firewalld sandbox with a client namespace
// wired to it and a listener on 993 inside it: the kernel's answer to the
// client is the reference a verdict is held to.
func startProbedFirewalld(t *testing.T) (*sandbox.Firewalld, *sandbox.Client) {
	t.Helper()
	fw := startFirewalld(t)
	return fw, fw.ProbeClient(t)
}
