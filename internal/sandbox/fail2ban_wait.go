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
