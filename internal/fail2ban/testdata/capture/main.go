// Command capture starts a sandboxed real fail2ban-server for capturing the
// fixtures in testdata (see testdata/README.md) and for poking at by hand:
//
//	go run ./internal/fail2ban/testdata/capture /tmp/f2bcap [jails]
//
// It prints the socket path and keeps the server until interrupted.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: capture DIR [N-extra-jails]")
		os.Exit(2)
	}
	dir := os.Args[1]
	jails := []sandbox.Fail2banJail{{Name: "dovecot"}, {Name: "postfix-sasl"},
		{Name: "recidive", IgnoreIP: "198.51.100.0/24 localhost", Extra: "ignoreself = false"}}
	if len(os.Args) > 2 {
		n, _ := strconv.Atoi(os.Args[2])
		for i := 1; i <= n; i++ {
			jails = append(jails, sandbox.Fail2banJail{Name: fmt.Sprintf("extra%02d", i), Filter: "dovecot"})
		}
	}
	f, err := sandbox.StartFail2ban(dir, "127.0.0.1/8 ::1 198.51.100.0/24 2001:db8:1::/64 no-such-host.invalid", jails...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Stop()
	fmt.Println(f.Socket, f.PID())
	_ = f.DovecotFailures("203.0.113.7", 3)
	_ = f.PostfixSASLFailures("203.0.113.7", 3)
	fmt.Println(f.WaitBanned("postfix-sasl", "203.0.113.7", 5*time.Second), f.WaitBanned("dovecot", "203.0.113.7", 5*time.Second))
	out, err := f.Client("set", "postfix-sasl", "banip", "2001:db8:2::9")
	fmt.Println(out, err)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
