// Package scripts holds the tests of the shell scripts in this directory.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMaskNewUnits: what `make deps` does after its apt-get install, in a
// private mount namespace whose /etc, /usr and /var are throw-away overlays
// of the host's: a package's new service, its socket and its boot-time
// enablement (a multi-user.target.wants link) are masked and recorded; a
// unit that was there before stays as it was; --unmask takes the masks back.
func TestMaskNewUnits(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root (mount namespaces); run `make test` as root, as CI does")
	}
	for _, tool := range []string{"unshare", "systemctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s: %v: install util-linux and systemd (`make deps`)", tool, err)
		}
	}
	units, err := filepath.Abs("units.sh")
	if err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	script := `set -eu
for d in etc usr var; do
	mkdir -p "$0/$d/up" "$0/$d/work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$0/$d/up,workdir=$0/$d/work" "/$d"
done
# The test's own record: the host's (or a Debian 13 root's, whose make deps
# masked every unit it installed) must not count.
export MAILCHECKS_UNITS_RECORD="$0/record"
# A unit that was there before, enabled: the test's own, since a fresh root
# whose make deps masked what it installed has no enabled service left.
printf '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' >/usr/lib/systemd/system/mailchecks-old.service
systemctl --root=/ enable mailchecks-old.service >/dev/null 2>&1
old=mailchecks-old.service
echo "old=$old before=$(systemctl --root=/ is-enabled "$old" 2>/dev/null || true)"
"$1" list >"$0/before"
# What an install of a package with a daemon leaves: its units, enabled.
printf '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' >/usr/lib/systemd/system/mailchecks-fake.service
printf '[Socket]\nListenStream=/run/mailchecks-fake.sock\n[Install]\nWantedBy=sockets.target\n' >/usr/lib/systemd/system/mailchecks-fake.socket
systemctl --root=/ enable mailchecks-fake.service mailchecks-fake.socket >/dev/null 2>&1
echo "fake before=$(systemctl --root=/ is-enabled mailchecks-fake.service)"
"$1" mask-new "$0/before"
echo "fake after=$(systemctl --root=/ is-enabled mailchecks-fake.service) socket=$(systemctl --root=/ is-enabled mailchecks-fake.socket)"
echo "old after=$(systemctl --root=/ is-enabled "$old" 2>/dev/null || true)"
echo "record=$(tr '\n' ' ' <"$MAILCHECKS_UNITS_RECORD")"
"$1" unmask >/dev/null
echo "unmasked=$(systemctl --root=/ is-enabled mailchecks-fake.service) record-left=$(test -e "$MAILCHECKS_UNITS_RECORD" && echo yes || echo no)"
`
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "bash", "-c", script, scratch, units).CombinedOutput()
	text := string(out)
	t.Log(text)
	if err != nil {
		t.Fatalf("units.sh in the namespace: %v\n%s", err, text)
	}
	field := func(key string) string {
		for _, line := range strings.Split(text, "\n") {
			for _, w := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(w, key+"="); ok {
					return v
				}
			}
		}
		return "(missing)"
	}
	if field("before") != "enabled" {
		t.Fatalf("no enabled service on this host to watch (old=%s before=%s): cannot tell", field("old"), field("before"))
	}
	for key, want := range map[string]string{
		"after": "masked", "socket": "masked", "unmasked": "enabled", "record-left": "no",
	} {
		if got := field(key); got != want {
			t.Errorf("%s = %s, want %s", key, got, want)
		}
	}
	if got := strings.TrimSpace(strings.SplitN(strings.SplitN(text, "record=", 2)[1], "\n", 2)[0]); got != "mailchecks-fake.service mailchecks-fake.socket" {
		t.Errorf("record = %q, want exactly the two new units", got)
	}
	// The unit that was there before is untouched (its state as before).
	var before, after string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "old=") {
			before = field("before")
		}
		if strings.HasPrefix(line, "old after=") {
			after = strings.TrimPrefix(line, "old after=")
		}
	}
	if after != before {
		t.Errorf("a unit present before the install changed from %q to %q", before, after)
	}
	// Nothing reached the host.
	if _, err := os.Stat("/usr/lib/systemd/system/mailchecks-fake.service"); err == nil {
		t.Error("the fake unit exists on the host: the overlay leaked")
	}
}
