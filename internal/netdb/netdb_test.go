package netdb

import "testing"

func TestParse(t *testing.T) {
	data := []byte(`# comment
imap		143/tcp		imap2		# Interim Mail Access P 2 and 4
imaps		993/tcp				# IMAP over SSL
syslog		514/udp
shell		514/tcp		cmd		# no passwords used
sieve		4190/tcp
broken		abc/tcp
kerberos-adm	749/tcp
dup		1/udp
dup		2/tcp
`)
	anyProto := Parse(data, "")
	for name, want := range map[string]int64{"imap": 143, "imap2": 143, "imaps": 993, "syslog": 514, "cmd": 514, "kerberos-adm": 749, "dup": 1} {
		if got, ok := anyProto[name]; !ok || got != want {
			t.Errorf("any protocol: %s = %d (%v), want %d", name, got, ok, want)
		}
	}
	if _, ok := anyProto["broken"]; ok {
		t.Error("a line without a number was read")
	}
	tcp := Parse(data, "tcp")
	if p, err := tcp.Port("dup"); err != nil || p != 2 {
		t.Errorf("tcp dup = %d, %v; want 2 (the udp line does not count)", p, err)
	}
	if _, err := tcp.Port("syslog"); err == nil {
		t.Error("syslog is udp only, yet resolved for tcp")
	}
	if p, err := tcp.Port("sieve"); err != nil || p != 4190 {
		t.Errorf("sieve = %d, %v", p, err)
	}
}
