package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestEntityBombZoneFileFailsTheNextReload: a zone file whose entities
// expand to nothing through ten levels (ten billion references in 655
// bytes). firewalld's expat stops it at its amplification limit, so the
// next reload fails; the check says so well inside -t (it ran until
// its watchdog when it counted only the bytes expansion produced): as for
// any file that is not XML to firewalld (TestBinaryBrokenZoneFile),
// WARNING, "the next reload fails".
func TestEntityBombZoneFileFailsTheNextReload(t *testing.T) {
	fw := startFirewalld(t)
	mustCmd(t, fw, "--permanent", "--add-service=imaps")
	mustCmd(t, fw, "--reload")
	bomb, err := os.ReadFile("../../internal/firewalld/fwconfig/testdata/config/refused-entity-nesting-empty/etc/zones/public.xml")
	if err != nil {
		t.Fatal(err)
	}
	zone := filepath.Join(fw.ConfigDir, "zones", "public.xml")
	if err := os.WriteFile(zone, bomb, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := fw.Cmd("--check-config"); err == nil {
		t.Fatalf("firewall-cmd --check-config accepted the file: %s", out)
	}
	start := time.Now()
	code, out := check(t, fw, "--service", "imaps", "-t", "10")
	took := time.Since(start)
	expect(t, code, 1, out, "WARNING: 1 permanent config file firewalld would refuse",
		"[WARNING] the next reload fails; at the next restart firewalld falls back to its stock config: "+zone,
		"INVALID_ZONE: not a valid zone file: limit on input amplification factor (from DTD and entities) breached")
	if took > 5*time.Second { // half of -t: the machine may be shared
		t.Errorf("the check took %v", took)
	}
}
