package fail2ban

import (
	"errors"
	"fmt"
	"os/user"
)

// Kind classifies why gathering failed, so the UNKNOWN line can say how to
// fix it. Every Kind is UNKNOWN: none of them is a fact about the IP.
type Kind int

const (
	KindOther       Kind = iota
	KindMissing          // the socket path does not exist: fail2ban not running, or another path
	KindRefused          // a stale socket: nothing listens
	KindPermission       // socket (or sudo) denies us
	KindGarbage          // the peer answered something that is not a fail2ban reply
	KindTimeout          // a dial, read, write or command did not finish in time
	KindUnknownJail      // a jail named on the command line does not exist
	KindDNS              // a name given with --ip-from-dns does not resolve
)

// GatherError is a failure to learn facts, with the fix an operator runs.
type GatherError struct {
	Kind Kind
	Err  error
	Fix  string
	// Dial marks a failure to connect to the control socket (nothing was
	// asked yet): errors.Is(err, ErrSocketDial) holds for it.
	Dial bool
}

func (e *GatherError) Error() string { return e.Err.Error() }
func (e *GatherError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrSocketDial) true for a socket that could not be
// connected to, so a caller (the SSH mode, when sshd refuses stream-local
// forwarding) can fall back to running fail2ban-client.
func (e *GatherError) Is(target error) bool { return target == ErrSocketDial && e.Dial }

// ErrSocketDial is matched (errors.Is) by every failure to connect to the
// control socket, whatever its Kind.
var ErrSocketDial = errors.New("cannot connect to the fail2ban socket")

func dialFailed(err error) error {
	var ge *GatherError
	if errors.As(err, &ge) {
		ge.Dial = true
	}
	return err
}

func gatherErr(kind Kind, fix string, format string, args ...any) error {
	return &GatherError{Kind: kind, Err: fmt.Errorf(format, args...), Fix: fix}
}

// FixFor returns the operator's fix carried by err, if any.
func FixFor(err error) string {
	var ge *GatherError
	if errors.As(err, &ge) {
		return ge.Fix
	}
	return ""
}

// KindOf returns the Kind carried by err (KindOther if none).
func KindOf(err error) Kind {
	var ge *GatherError
	if errors.As(err, &ge) {
		return ge.Kind
	}
	return KindOther
}

// permissionFix says how to let the monitoring user in. The socket is
// root:root 0600 by default and fail2ban recreates it on every start; and
// whoever may write to it, or run fail2ban-client as root, controls
// fail2ban's root-run actions. Hence the read-only sudo wrapper first.
func permissionFix(socket, client string) string {
	who := "nagios"
	if u, err := user.Current(); err == nil && u.Username != "root" && u.Username != "" {
		who = u.Username
	}
	// Kept under the 400-character line cap of the render stage.
	return fmt.Sprintf("use the read-only sudo wrapper: --backend=client --sudo --fail2ban-client /usr/lib/nagios/plugins/fail2ban-client-readonly "+
		"(contrib/sudoers.d; a sudo rule for %s itself grants root), "+
		"or setfacl -m u:%s:rw %s (as good as root; fail2ban recreates the socket on start: contrib/systemd reapplies it)",
		client, who, socket)
}

const startFix = "systemctl start fail2ban (or pass --socket with the path set in /etc/fail2ban/fail2ban.local)"
