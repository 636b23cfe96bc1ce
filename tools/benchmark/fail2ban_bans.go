package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func init() {
	addBench(21, "check_fail2ban_trusted at 0 and 20,000 bans vs fail2ban-client banned IP", fail2banBansBench)
}

// fail2banBansBench times the whole check against a real fail2ban with no
// bans, then with 20,000 bans in one jail (the trusted address not among
// them), each against one `fail2ban-client banned IP`: a Python start that
// asks the same question of every jail. Goals (issue 17): at 20,000 bans the
// check takes at most 1.5× its time with none, and at most 0.1× the client.
func fail2banBansBench(r *runner) error {
	dir := filepath.Join(r.work, "fail2ban-bans")
	f, err := sandbox.StartFail2ban(dir, "127.0.0.1/8 ::1 198.51.100.0/24",
		sandbox.Fail2banJail{Name: "dovecot", Extra: "action ="}, // no action: 20,000 bans run nothing
		sandbox.Fail2banJail{Name: "postfix-sasl"})
	if err != nil {
		return err
	}
	defer f.Stop()
	// --kernel=skip: the kernel read would judge this host's own ruleset,
	// not the sandbox's; its cost is measured in the firewalld rows.
	ours := strings.Join([]string{filepath.Join(r.bin, "check_fail2ban_trusted"), "--socket", f.Socket, "--ip", "198.51.100.7", "--kernel=skip"}, " ")
	peer := "/usr/bin/fail2ban-client -s " + f.Socket + " banned 198.51.100.7"
	env := []string{"PATH=/usr/bin:/bin:" + os.Getenv("PATH")}

	empty, _, err := r.compare("check_fail2ban_trusted, 0 bans vs `fail2ban-client banned IP`, 0 bans", "(baseline of the next row)", env, 50, ours, peer)
	if err != nil {
		return err
	}
	if err := f.BanMany("dovecot", sandbox.BenchAddrs(20000)); err != nil {
		return err
	}
	full, client, err := r.compare("check_fail2ban_trusted, 20,000 bans vs `fail2ban-client banned IP`, 20,000 bans", "≤ 0.1× peer, ≤ 1.5× the 0-ban row", env, 50, ours, peer)
	if err != nil {
		return err
	}
	fmt.Printf("check_fail2ban_trusted at 20,000 bans: %.2f× its time with none (goal ≤ 1.5), %.3f× fail2ban-client banned IP (goal ≤ 0.1); peak RSS %s vs %s\n",
		full.Median/empty.Median, full.Median/client.Median, mib(full.MaxRSS), mib(empty.MaxRSS))
	return nil
}
