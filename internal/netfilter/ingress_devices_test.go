package netfilter

import (
	"reflect"
	"testing"
)

// nft 1.0.6's text listing, as printed for a netdev and an inet ingress
// chain (its JSON leaves the devices out).
func TestParseIngressDevices(t *testing.T) {
	got := ParseIngressDevices([]byte(`table netdev t {
	chain c {
		type filter hook ingress device "d0" priority filter; policy accept;
		tcp dport 993 drop
	}

	chain m {
		type filter hook ingress devices = { d0, d1 } priority filter; policy accept;
	}
}
table inet x {
	chain y {
		type filter hook ingress device "d1" priority filter; policy accept;
	}
	chain input {
		type filter hook input priority filter; policy accept;
	}
}
`))
	want := map[string][]string{"netdev t c": {"d0"}, "netdev t m": {"d0", "d1"}, "inet x y": {"d1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
