package sandbox

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// WaitIgnored waits until fail2ban logs that jail ignored ip (filter.py
// logIgnoreIp: "[JAIL] Ignore IP by SOURCE") after the last failures were
// written: the server's own word that ignoreip covered the address.
func (f *Fail2ban) WaitIgnored(jail, ip string, timeout time.Duration) error {
	f.mu.Lock()
	mark := f.mark
	f.mu.Unlock()
	return f.proc.WaitFor(timeout, "ignore of "+ip+" in "+jail, func() error {
		log, _ := os.ReadFile(f.F2BLog)
		if len(log) >= mark && strings.Contains(string(log[mark:]), "["+jail+"] Ignore "+ip+" by ") {
			return nil
		}
		return fmt.Errorf("not ignored yet")
	})
}

// Logged reports whether fail2ban's log holds text after the last failures
// were written.
func (f *Fail2ban) Logged(text string) bool {
	f.mu.Lock()
	mark := f.mark
	f.mu.Unlock()
	log, _ := os.ReadFile(f.F2BLog)
	return len(log) >= mark && strings.Contains(string(log[mark:]), text)
}

// BenchAddrs returns n distinct addresses of 198.18.0.0/15 (RFC 2544's
// benchmarking range: never a real client) to fill ban lists with.
func BenchAddrs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("198.%d.%d.%d", 18+i>>16&1, i>>8&0xff, i&0xff)
	}
	return out
}

// BanMany bans every address in jail with one `set JAIL banip IP…` (one
// client start, however many addresses) and checks the server's count.
// Give the jail `action =` (no action) for large lists: with the dummy
// action every ban runs a shell.
func (f *Fail2ban) BanMany(jail string, ips []string) error {
	out, err := f.Client(append([]string{"set", jail, "banip"}, ips...)...)
	if err != nil {
		return fmt.Errorf("set %s banip (%d addresses): %v: %s", jail, len(ips), err, tail(out, 500))
	}
	if strings.TrimSpace(out) != fmt.Sprint(len(ips)) {
		return fmt.Errorf("set %s banip: %d addresses, fail2ban says %q", jail, len(ips), tail(out, 200))
	}
	return nil
}
