package firewalld

import (
	"testing"
)

func TestParseListAllAfterNotice(t *testing.T) {
	out := "You're performing an operation over default zone ('public'),\n" +
		"but your connections/interfaces are in zone 'block' (see --get-active-zones)\n" +
		"You most likely need to use --zone=block option.\n\n" +
		"public\n  target: default\n  interfaces: \n  sources: \n  services: imaps\n  ports: \n  rich rules: \n"
	z, err := ParseListAll(out)
	if err != nil || z.Name != "public" || len(z.Services) != 1 {
		t.Fatalf("%+v %v", z, err)
	}
}
