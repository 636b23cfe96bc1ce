package main

import (
	"fmt"
	"os"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func main() {
	dir := os.Args[1]
	f, err := sandbox.StartFail2ban(dir, "127.0.0.1/8 ::1 198.51.100.0/24 2001:db8:1::/64 no-such-host.invalid",
		sandbox.Fail2banJail{Name: "dovecot"}, sandbox.Fail2banJail{Name: "postfix-sasl"},
		sandbox.Fail2banJail{Name: "recidive", IgnoreIP: "198.51.100.0/24 localhost", Extra: "ignoreself = false"})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(f.Socket, f.PID())
	f.DovecotFailures("203.0.113.7", 3)
	f.PostfixSASLFailures("203.0.113.7", 3)
	fmt.Println(f.WaitBanned("postfix-sasl", "203.0.113.7", 5*time.Second), f.WaitBanned("dovecot", "203.0.113.7", 5*time.Second))
	out, err := f.Client("set", "postfix-sasl", "banip", "2001:db8:2::9")
	fmt.Println(out, err)
	time.Sleep(time.Hour)
}
