package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() {
	addBench(20, "check_fail2ban_trusted vs fail2ban-client status (+ status JAIL per jail)", fail2banBench)
}

// fail2banBench times the whole check over 10 jails (status, then bans with
// times, ignoreip, ignoreself and ignorecommand of every jail, pipelined on
// one connection; ignoreip matching; evaluation) against what the existing
// fail2ban plugins run: one `fail2ban-client status` plus one
// `fail2ban-client status JAIL` per jail, each a Python start.
func fail2banBench(r *runner) error {
	dir := filepath.Join(r.work, "fail2ban")
	var jails []sandbox.Fail2banJail
	var names []string
	for i := 1; i <= 10; i++ {
		j := sandbox.Fail2banJail{Name: fmt.Sprintf("mail%02d", i), Filter: "dovecot"}
		if i%2 == 0 {
			j.Filter = "postfix[mode=auth]"
		}
		if i == 10 {
			j.IgnoreIP = "127.0.0.1/8 ::1 198.51.100.0/24" // a jail with its own whitelist
		}
		jails = append(jails, j)
		names = append(names, j.Name)
	}
	f, err := sandbox.StartFail2ban(dir, "127.0.0.1/8 ::1 198.51.100.0/24 2001:db8:1::/64 localhost", jails...)
	if err != nil {
		return err
	}
	defer f.Stop()
	// Some bans in every jail, so both sides have lists to carry.
	for i, n := range names {
		args := []string{"set", n, "banip"}
		for k := 1; k <= 20; k++ {
			args = append(args, fmt.Sprintf("192.0.2.%d", i*20+k))
		}
		if out, err := f.Client(args...); err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
	}
	peer := filepath.Join(r.work, "peer-fail2ban.sh")
	script := `#!/bin/sh
# What the existing fail2ban plugins do: list the jails, then ask each one.
set -e
sock="$1"
jails=$(fail2ban-client -s "$sock" status | sed -n 's/.*Jail list:[[:space:]]*//p' | tr ',' ' ')
for j in $jails; do
	fail2ban-client -s "$sock" status "$j" >/dev/null
done
`
	if err := os.WriteFile(peer, []byte(script), 0o755); err != nil {
		return err
	}
	// --kernel=skip: the kernel read would judge this host's own ruleset,
	// not the sandbox's; its cost is measured in the firewalld rows.
	ours := strings.Join([]string{filepath.Join(r.bin, "check_fail2ban_trusted"), "--socket", f.Socket, "--ip", "198.51.100.7", "--kernel=skip"}, " ")
	// fail2ban-client is a /usr/bin/python3 script (shebang), never a pyenv python.
	env := []string{"PATH=/usr/bin:/bin:" + os.Getenv("PATH")}
	_, _, err = r.compare("check_fail2ban_trusted (whole check, 10 jails, socket) vs `fail2ban-client status` + 10× `status JAIL`", "≥ 50×",
		env, 20, ours, "/bin/sh "+peer+" "+f.Socket)
	return err
}
