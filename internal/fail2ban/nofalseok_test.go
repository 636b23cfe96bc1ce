package fail2ban

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// TestNeverFalseOK is a property test over random, partial and
// contradictory facts: OK only when every fact it speaks about was
// gathered (every target, every --ip-from-dns name, every jail asked
// about, each read without error) and no target is banned in any of them.
func TestNeverFalseOK(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	pick := func(n int) bool { return rng.IntN(n) == 0 }
	addrs := []string{"203.0.113.7", "198.51.100.7", "2001:db8:1::5", "127.0.0.1", "10.1.2.3"}
	entries := []string{"0.0.0.0", "::", "198.51.100.0/24", "127.0.0.0/8", "::ffff:203.0.113.7", "203.0.113.7",
		"localhost", "gone.example", "file:/etc/trusted", "2001:db8:1::/64", "10.0.0.0/8", "127.1"}
	errs := []error{&ServerError{Class: "fail2ban.exceptions.UnknownJailException", Message: "x"},
		gatherErr(KindGarbage, "", "ignoreip: not a fail2ban reply"), errors.New("timed out")}
	oks := 0
	for i := 0; i < 20000; i++ {
		var f Facts
		for _, a := range addrs {
			if pick(3) {
				f.Targets = append(f.Targets, Target{Addr: netip.MustParseAddr(a)})
			}
		}
		if pick(20) {
			f.Targets = append(f.Targets, Target{}) // not gathered
		}
		if pick(4) {
			l := NameLookup{Name: "office.example", Addrs: []netip.Addr{netip.MustParseAddr("203.0.113.7")}}
			switch rng.IntN(3) {
			case 0:
				l.Err = errors.New("i/o timeout")
				l.Addrs = nil
			case 1:
				l.Addrs = nil
			}
			f.Lookups = append(f.Lookups, l)
		}
		for _, j := range []string{"dovecot", "postfix-sasl", "recidive", "sshd"} {
			if pick(2) {
				f.ServerJails = append(f.ServerJails, j)
			}
		}
		f.Selected = slices.Clone(f.ServerJails)
		if pick(10) {
			f.MissingJails = []string{"nope"}
		}
		for _, name := range f.Selected {
			if pick(10) {
				continue // listed, asked about, but never read
			}
			j := JailState{Name: name, IgnoreSelf: pick(2)}
			for _, e := range entries {
				if pick(3) {
					j.IgnoreIP = append(j.IgnoreIP, e)
				}
			}
			for _, a := range addrs {
				if pick(8) {
					j.Bans = append(j.Bans, Ban{ID: a, Addr: netip.MustParseAddr(a)})
				}
			}
			if pick(10) {
				j.IgnoreCommand = "/usr/local/bin/trusted <ip>"
			}
			if pick(8) {
				j.Err = errs[rng.IntN(len(errs))]
			}
			f.Jails = append(f.Jails, j)
		}
		f.Resolved = map[string]Resolution{}
		if pick(2) {
			f.Resolved["localhost"] = Resolution{Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
		}
		if pick(2) {
			f.Resolved["127.1"] = Resolution{Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
		}
		switch rng.IntN(3) {
		case 0:
			f.Resolved["gone.example"] = Resolution{Err: errors.New("no such host")}
		case 1:
			f.Resolved["gone.example"] = Resolution{Err: context.DeadlineExceeded, TimedOut: true}
		}
		if pick(2) {
			f.SelfIPs = []netip.Addr{netip.MustParseAddr("10.1.2.3")}
		}
		f.SelfTimedOut = pick(4)
		unlisted := []plugin.State{plugin.OK, plugin.Warning, plugin.Critical}[rng.IntN(3)]

		r := Evaluate(f, Config{Unlisted: unlisted})
		if r.State() != plugin.OK {
			continue
		}
		oks++
		if why := notAllGathered(f, unlisted); why != "" {
			t.Fatalf("OK %q although %s\nfacts: %+v", r.Summary, why, f)
		}
	}
	if oks < 100 {
		t.Fatalf("only %d OK verdicts in 20000: the generator does not reach the OK path", oks)
	}
}

// notAllGathered says why facts cannot support an OK, or "".
func notAllGathered(f Facts, unlisted plugin.State) string {
	if len(f.Targets) == 0 || len(f.Jails) == 0 {
		return "there is nothing to speak about"
	}
	for _, t := range f.Targets {
		if !t.Addr.IsValid() {
			return "a target was not gathered"
		}
	}
	for _, l := range f.Lookups {
		if l.Err != nil || len(l.Addrs) == 0 {
			return "--ip-from-dns " + l.Name + " did not resolve"
		}
	}
	if len(f.MissingJails) > 0 {
		return "a jail asked for does not exist"
	}
	for _, name := range f.Selected {
		if !slices.ContainsFunc(f.Jails, func(j JailState) bool { return j.Name == name }) {
			return "jail " + name + " was not read"
		}
	}
	for _, j := range f.Jails {
		if j.Err != nil {
			return "jail " + j.Name + " errored: " + j.Err.Error()
		}
		for _, t := range f.Targets {
			for _, b := range j.Bans {
				if b.Addr == t.Addr.Unmap() {
					return t.Addr.String() + " is banned in " + j.Name
				}
			}
			c := Match(t.Addr, j, f.Resolved, f.SelfIPs)
			if unlisted != plugin.OK && (!c.Covered || strings.HasPrefix(c.By, "ignoreself") && len(f.SelfIPs) == 0) {
				return fmt.Sprintf("%s is not whitelisted in %s", t.Addr, j.Name)
			}
		}
	}
	return ""
}

// rerunSource stops a jail on the real server between the two questions of
// a check (the jail list, then every jail's state), as a reload does.
type rerunSource struct {
	Source
	between func()
}

func (s rerunSource) JailNames(ctx context.Context) ([]string, error) {
	names, err := s.Source.JailNames(ctx)
	s.between()
	return names, err
}

// TestRealJailGoneBetweenCalls: a jail listed by `status` and gone when its
// state is asked for is UNKNOWN ("vanished"), never left out of an OK.
func TestRealJailGoneBetweenCalls(t *testing.T) {
	f := startReal(t, sandbox.Fail2banJail{Name: "dovecot"},
		sandbox.Fail2banJail{Name: "recidive", IgnoreIP: "198.51.100.0/24", Extra: "ignoreself = false"})
	o := opts(plugin.Warning, "198.51.100.20")
	o.Socket = f.Socket
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	src, err := NewSource(remote.Local{}, o)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := GatherFrom(ctx, remote.Local{}, rerunSource{src, func() {
		if out, err := f.Client("stop", "recidive"); err != nil {
			t.Errorf("stop recidive: %v %s", err, out)
		}
	}}, o)
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(facts, Config{Unlisted: plugin.Warning})
	expect(t, r, plugin.Unknown, "jail recidive vanished while checking (reload in progress?)")
}
