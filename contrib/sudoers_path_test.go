package contrib

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSudoRuleReachesNoPathLookup reproduces the reported escalation: under
// a sudo without secure_path in /etc/sudoers (upstream's default file), the
// monitoring user runs the whole firewalld plugin as root, as the shipped
// rule allows, with --runtime-source cli and a PATH that starts with a
// directory it controls, holding a firewall-cmd. That program must not run
// (as root or at all): the plugin runs /usr/bin/firewall-cmd, and the
// shipped rule fixes PATH for what root runs. Run twice: with the shipped
// file, and with its secure_path line removed (the plugin alone must hold).
func TestSudoRuleReachesNoPathLookup(t *testing.T) {
	shipped := readFile(t, "sudoers.d/mailchecks")
	if !strings.Contains(shipped, `secure_path="/usr/sbin:/usr/bin:/sbin:/bin"`) {
		t.Fatal("the shipped sudoers file sets no secure_path for its commands")
	}
	var withoutSecurePath []string
	for _, line := range strings.Split(shipped, "\n") {
		if !strings.Contains(line, "secure_path") {
			withoutSecurePath = append(withoutSecurePath, line)
		}
	}
	for name, content := range map[string]string{"shipped": shipped, "without secure_path": strings.Join(withoutSecurePath, "\n")} {
		t.Run(name, func(t *testing.T) {
			in := install(t)
			writeFile(t, filepath.Join(in.sudoersDir, "mailchecks"), content, 0o440)
			dir := worldDir(t)
			// Upstream sudo's sudoers: env_reset (the default), no secure_path.
			upstream := filepath.Join(dir, "sudoers")
			writeFile(t, upstream, "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n", 0o440)
			in.extra = `mount --bind ` + upstream + ` /etc/sudoers`
			evil := filepath.Join(dir, "evil")
			canary := filepath.Join(dir, "ran-as")
			writeFile(t, filepath.Join(evil, "firewall-cmd"), "#!/bin/sh\nid -u > "+canary+"\nexit 1\n", 0o755)
			writeFile(t, filepath.Join(evil, "python3"), "#!/bin/sh\nid -u > "+canary+"\nexit 1\n", 0o755)
			r := in.run(t, "nagios", "", "env", "PATH="+evil+":/usr/sbin:/usr/bin:/sbin:/bin",
				"sudo", "-n", pluginDir+"/check_firewalld_mail", "--runtime-source", "cli", "-t", "5")
			if strings.Contains(r.stderr, "password is required") || strings.Contains(r.stderr, "not allowed") {
				t.Fatalf("sudo refused the rule's own command, so nothing was tested:\n%s%s", r.stdout, r.stderr)
			}
			t.Logf("as nagios through sudo with PATH=%s first: exit %d, %s", evil, r.code, r.firstLine())
			if uid, err := os.ReadFile(canary); err == nil {
				t.Fatalf("the caller's %s/firewall-cmd ran (as uid %s) through the sudo rule", evil, strings.TrimSpace(string(uid)))
			}
		})
	}
}
