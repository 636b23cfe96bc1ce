package fail2ban

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/remote"
)

// services stands for /etc/services (tcp) so the test does not depend on
// the host's copy.
func services(name string) (uint16, error) {
	m := map[string]uint16{"smtp": 25, "submission": 587, "imap": 143, "imaps": 993, "pop3": 110, "pop3s": 995,
		"sieve": 4190, "ssh": 22, "http": 80, "https": 443, "kerberos-adm": 749}
	if p, ok := m[name]; ok {
		return p, nil
	}
	return 0, fmt.Errorf("unknown service %q", name)
}

func TestParseBanPorts(t *testing.T) {
	cases := []struct {
		values []string
		want   []uint16
		note   string
	}{
		{[]string{"110,995,143,993,587,465,4190"}, []uint16{110, 995, 143, 993, 587, 465, 4190}, ""},
		{[]string{"smtp,465,submission"}, []uint16{25, 465, 587}, ""},
		{[]string{" imap , imaps "}, []uint16{143, 993}, ""},
		{[]string{"2525"}, []uint16{2525}, ""},
		{[]string{"kerberos-adm"}, []uint16{749}, ""}, // a name with '-' is not a range
		// jail.conf's default: every port, judged by its ends and the mail ports.
		{[]string{"0:65535"}, append(append([]uint16{1}, DefaultKernelPorts...), 65535), ""},
		{[]string{"1000-3000"}, []uint16{1000, 3000}, ""},
		{[]string{"100:200"}, []uint16{100, 110, 143, 200}, ""},
		{[]string{"imap:imaps"}, []uint16{143, 465, 587, 993}, ""},
		{[]string{"ssh", "http,https"}, []uint16{22, 80, 443}, ""}, // two actions
		{[]string{"25,25"}, []uint16{25}, ""},
		{[]string{"nosuch,993"}, []uint16{993}, `port "nosuch"`},
		{[]string{"<port>"}, nil, `port "<port>"`},
		{[]string{"200:100"}, nil, `port "200:100"`},
		{[]string{"70000"}, nil, `port "70000"`},
		{[]string{""}, nil, ""},
	}
	for _, c := range cases {
		got := ParseBanPorts(c.values, services)
		if !slices.Equal(got.Ports, c.want) || (c.note == "") != (got.Note == "") || !strings.Contains(got.Note, c.note) {
			t.Errorf("ParseBanPorts(%q) = %v, note %q; want %v, note containing %q", c.values, got.Ports, got.Note, c.want, c.note)
		}
	}
}

// A long list is cut at maxJailPorts and says so: bounded work per jail.
func TestParseBanPortsBounded(t *testing.T) {
	var many []string
	for p := 1; p <= 5000; p++ {
		many = append(many, fmt.Sprint(p))
	}
	got := ParseBanPorts([]string{strings.Join(many, ",")}, services)
	if len(got.Ports) != maxJailPorts || !strings.Contains(got.Note, "more than 32 ports: the first 32 judged") {
		t.Fatalf("%d ports, note %q", len(got.Ports), got.Note)
	}
}

func TestParseActionsPrint(t *testing.T) {
	for _, c := range []struct {
		out  string
		want []string
		ok   bool
	}{
		{"The jail dovecot has the following actions:\nnftables, sendmail-whois", []string{"nftables", "sendmail-whois"}, true},
		{"No actions for jail dovecot", nil, true},
		{"The jail other has the following actions:\nx", nil, false},
		{"Sorry but the jail 'dovecot' does not exist", nil, false},
	} {
		got, ok := parseActionsPrint(c.out, "dovecot")
		if ok != c.ok || !slices.Equal(got, c.want) {
			t.Errorf("parseActionsPrint(%q) = %q, %v", c.out, got, ok)
		}
	}
}

// servicesHost is a mail host whose only file is /etc/services (the I/O
// seam resolveJailPorts reads through); reads counts the reads.
type servicesHost struct {
	remote.Local
	services *remote.File
	reads    *int
}

func (h servicesHost) ReadFiles(_ context.Context, paths []string, _ int64) ([]remote.File, error) {
	*h.reads++
	if h.services == nil {
		return []remote.File{{Path: paths[0], Err: errors.New("permission denied")}}, nil
	}
	return []remote.File{*h.services}, nil
}

// TestResolveJailPortsThroughTheMailHost: a port name resolves through the
// mail host's /etc/services (its tcp lines), not the monitoring host's;
// the file is read only when a name is used, and a file that cannot be
// read is said in the jail's note.
func TestResolveJailPortsThroughTheMailHost(t *testing.T) {
	file := &remote.File{Path: "/etc/services", Data: []byte("imaps 1993/udp\nimaps 1994/tcp\nsmtp 25/tcp mail\n")}
	reads := 0
	jails := []JailState{
		{Name: "dovecot", BanPorts: []string{"imaps,mail"}},
		{Name: "numbers", BanPorts: []string{"2525"}},
		{Name: "gone", BanPorts: []string{"imaps"}, Err: errors.New("unknown jail")},
	}
	resolveJailPorts(context.Background(), servicesHost{services: file, reads: &reads}, jails)
	if !slices.Equal(jails[0].Ports.Ports, []uint16{1994, 25}) || jails[0].Ports.Note != "" {
		t.Errorf("dovecot: %+v, want 1994 (the host's tcp line) and 25", jails[0].Ports)
	}
	if !slices.Equal(jails[1].Ports.Ports, []uint16{2525}) || len(jails[2].Ports.Ports) != 0 || reads != 1 {
		t.Errorf("numbers %+v, gone %+v, %d reads", jails[1].Ports, jails[2].Ports, reads)
	}

	reads = 0
	numbers := []JailState{{Name: "numbers", BanPorts: []string{"25,465"}}}
	resolveJailPorts(context.Background(), servicesHost{services: file, reads: &reads}, numbers)
	if reads != 0 || !slices.Equal(numbers[0].Ports.Ports, []uint16{25, 465}) {
		t.Errorf("numbers only: %d reads, %+v", reads, numbers[0].Ports)
	}

	unreadable := []JailState{{Name: "dovecot", BanPorts: []string{"imaps,993"}}}
	resolveJailPorts(context.Background(), servicesHost{reads: &reads}, unreadable)
	if !slices.Equal(unreadable[0].Ports.Ports, []uint16{993}) ||
		!strings.Contains(unreadable[0].Ports.Note, `port "imaps"`) || !strings.Contains(unreadable[0].Ports.Note, "/etc/services was not read: permission denied") {
		t.Errorf("unreadable /etc/services: %+v", unreadable[0].Ports)
	}
}

// TestPortQuestionsBounded: a jail listing more actions than
// maxPortActions (a hostile or odd server) costs no more questions.
func TestPortQuestionsBounded(t *testing.T) {
	states := []JailState{{Name: "dovecot"}}
	var actions []string
	for i := range maxPortActions + 5 {
		actions = append(actions, fmt.Sprintf("act%d", i))
	}
	var q portQuestions
	q.add(states, 0, actions)
	if len(q.cmds) != maxPortActions || !slices.Equal(q.cmds[0], []string{"get", "dovecot", "action", "act0", "port"}) {
		t.Errorf("%d questions (want %d): %v", len(q.cmds), maxPortActions, q.cmds)
	}
}
