package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// StartFail2banBanning starts fail2ban-server inside the network namespace
// netns (a NetHost's NetNS) with the stock banactions beside the dummy
// one, so a jail whose Extra says e.g. `action = nftables[name=dovecot,
// port="993,143"]` bans through fail2ban's own action.d file into that
// namespace's real ruleset, as on a mail host.
func StartFail2banBanning(dir, defaultIgnoreIP, netns string, jails ...Fail2banJail) (*Fail2ban, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	actions := filepath.Join(dir, "action.d")
	if _, err := os.Stat(actions); os.IsNotExist(err) {
		if out, err := exec.Command("cp", "-r", "/etc/fail2ban/action.d", actions).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("copy stock banactions: %v: %s", err, out)
		}
	}
	return startFail2ban(dir, defaultIgnoreIP, filepath.Join(dir, "fail2ban.sqlite3"), []string{"/usr/bin/nsenter", "--net=" + netns}, jails...)
}
