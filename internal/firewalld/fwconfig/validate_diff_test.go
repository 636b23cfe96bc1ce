package fwconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/expat"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

func diffWrite(t *testing.T, path, content string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// offlineCheckScript runs firewalld's own check (Firewall(offline=True)
// .start() and check_on_disk_config, what firewall-offline-cmd
// --check-config does) on each ConfigDir read from stdin, in one Python
// process: a few ms a case instead of half a second.
const offlineCheckScript = `import sys, json, io, contextlib
sys.argv=['x']
from firewall import config
from firewall.core.logger import log
log.setInfoLogLevel(0); log.setDebugLogLevel(0)
import firewall.core.logger as L
from firewall.core.fw import Firewall
from firewall.core.io.functions import check_on_disk_config
defaults = sys.stdin.readline().strip()
out = {}
for line in sys.stdin:
    d = line.strip()
    config.set_system_config_paths(d)
    config.set_default_config_paths(defaults)
    err = ""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            fw = Firewall(offline=True)
            fw.start()
            check_on_disk_config(fw)
    except Exception as e:
        err = str(e) or type(e).__name__
        if not err: err = "error"
    out[d] = err
json.dump(out, sys.stdout)
`

// TestValidatePermanentAgreesOnGeneratedConfigs generates zone, service,
// policy and ipset files from diffPools of odd values (Unicode digits, Python
// int() forms, masks, quotes and '=' in log prefixes, reserved targets…)
// and asserts ValidatePermanent refuses exactly those firewalld refuses.
// FW_DIFF_CASES raises the count, FW_DIFF_SEED changes the seed.
func TestValidatePermanentAgreesOnGeneratedConfigs(t *testing.T) {
	v := installedFirewalld(t)
	defaults := t.TempDir()
	copyTree(t, "/usr/lib/firewalld", defaults)
	root := t.TempDir()
	seed, n := int64(1), 150
	if v, err := strconv.ParseInt(os.Getenv("FW_DIFF_SEED"), 10, 64); err == nil {
		seed = v
	}
	if v, err := strconv.Atoi(os.Getenv("FW_DIFF_CASES")); err == nil {
		n = v
	}
	r := rand.New(rand.NewSource(seed))
	mine := map[string]string{}
	texts := map[string]string{}
	var dirs []string
	for i := 0; i < n; i++ {
		d := filepath.Join(root, fmt.Sprint(i))
		diffWrite(t, filepath.Join(d, "ipsets/allow.xml"), `<ipset type="hash:ip"/>`)
		diffWrite(t, filepath.Join(d, "firewalld.conf"), "DefaultZone=public\n")
		var z, p string
		switch r.Intn(4) {
		case 0:
			z, p = diffService(r), "services/mail.xml"
		case 1:
			z, p = diffPolicy(r), "policies/out.xml"
		case 2:
			z, p = diffIPSet(r), "ipsets/other.xml"
		default:
			z, p = diffZone(r), "zones/public.xml"
		}
		texts[d] = p + ": " + z
		diffWrite(t, filepath.Join(d, p), z)
		dd := Dirs{ConfigDir: d, DefaultDir: defaults}
		files, err := remote.Local{}.ReadFiles(context.Background(), PermanentPatterns(dd), expat.MaxFileBytes)
		if err != nil {
			t.Fatal(err)
		}
		var ps []ConfigProblem
		for _, p := range ValidatePermanent(dd, files, v) {
			// what only the reload finds is beyond --check-config
			if !strings.Contains(p.Reason, "the reload fails applying zone") {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			mine[d] = ps[0].Reason
		} else {
			mine[d] = ""
		}
		dirs = append(dirs, d)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", offlineCheckScript)
	cmd.Stdin = strings.NewReader(defaults + "\n" + strings.Join(dirs, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("firewalld's check in /usr/bin/python3 (%s): %v %s", firewalldInstall, err, stderr.String())
	}
	var fw map[string]string
	if err := json.Unmarshal(out, &fw); err != nil || len(fw) != n {
		t.Fatalf("firewalld's check answered %d of %d cases: %v", len(fw), n, err)
	}
	bad := 0
	for _, d := range dirs {
		if (fw[d] == "") != (mine[d] == "") {
			bad++
			t.Errorf("verdicts differ\n  zone: %s\n  firewalld: %q\n  mine: %q", texts[d], fw[d], mine[d])
		}
	}
	t.Logf("%d cases (seed %d), %d mismatches", n, seed, bad)
}
