package firewalld

import (
	"reflect"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/fwconfig"
	"github.com/mailhost-checks/mailchecks/internal/firewalld/ruleset"
)

func TestFlushAllOnReloadAsFirewalldReadsIt(t *testing.T) {
	for conf, want := range map[string]bool{
		"":                                        true,
		"FlushAllOnReload=no\n":                   false,
		"FlushAllOnReload = False\n":              false,
		"FlushAllOnReload=yes\n":                  true,
		"FlushAllOnReload=maybe\n":                true, // invalid: the fallback
		"#FlushAllOnReload=no\n":                  true,
		"FlushAllOnReload=\n":                     true,
		"DefaultZone=drop\nFlushAllOnReload=NO\n": false,
	} {
		if got := fwconfig.FlushAllOnReload([]byte(conf), fwconfig.Rules13); got != want {
			t.Errorf("%q: %v, want %v", conf, got, want)
		}
	}
}

// afterReload follows core/fw.py reload(): the files' bindings, then the
// runtime ones with FlushAllOnReload=no, then NetworkManager's.
func TestAfterReloadBindings(t *testing.T) {
	pm := func() *ruleset.Ruleset {
		return &ruleset.Ruleset{DefaultZone: "public", Zones: map[string]*ruleset.Zone{
			"public": {Name: "public"}, "work": {Name: "work", Interfaces: []string{"eth1"}}, "drop": {Name: "drop"}}}
	}
	rt := &ruleset.Ruleset{DefaultZone: "public", Zones: map[string]*ruleset.Zone{
		"public": {Name: "public", Interfaces: []string{"eth0"}}, "drop": {Name: "drop", Interfaces: []string{"eth1"}},
		"gone": {Name: "gone", Interfaces: []string{"eth2"}}}}
	nm := func(devs ...NMDevice) NMFacts {
		n := NMFacts{Asked: true, Running: true, Devices: map[string]NMDevice{}}
		for _, d := range devs {
			n.Devices[d.Interface] = d
		}
		return n
	}
	cases := []struct {
		name     string
		nm       NMFacts
		flushAll bool
		want     map[string][]string // zone -> interfaces after the reload
		kept     []KeptBinding
	}{
		{"flush: the files' bindings only", NMFacts{}, true,
			map[string][]string{"public": nil, "work": {"eth1"}, "drop": nil}, nil},
		{"NetworkManager's empty zone is the default zone", nm(NMDevice{"eth0", "mail", "", true}), true,
			map[string][]string{"public": {"eth0"}, "work": {"eth1"}, "drop": nil},
			[]KeptBinding{{"eth0", "public", `NetworkManager profile "mail"`}}},
		{"NetworkManager's zone beats the file's", nm(NMDevice{"eth1", "lan", "drop", true}), true,
			map[string][]string{"public": nil, "work": nil, "drop": {"eth1"}},
			[]KeptBinding{{"eth1", "drop", `NetworkManager profile "lan"`}}},
		{"a volatile profile is not restored", nm(NMDevice{"eth0", "tmp", "", false}), true,
			map[string][]string{"public": nil, "work": {"eth1"}, "drop": nil}, nil},
		{"a zone that does not exist restores nothing", nm(NMDevice{"eth0", "mail", "nosuch", true}), true,
			map[string][]string{"public": nil, "work": {"eth1"}, "drop": nil}, nil},
		{"NetworkManager not running", NMFacts{Asked: true, Devices: map[string]NMDevice{"eth0": {"eth0", "mail", "", true}}}, true,
			map[string][]string{"public": nil, "work": {"eth1"}, "drop": nil}, nil},
		{"FlushAllOnReload=no keeps runtime bindings; a lost zone drops its own", NMFacts{}, false,
			map[string][]string{"public": {"eth0"}, "work": nil, "drop": {"eth1"}},
			[]KeptBinding{{"eth1", "drop", "FlushAllOnReload=no"}, {"eth0", "public", "FlushAllOnReload=no"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := pm()
			view, kept := afterReload(rt, before, c.nm, c.flushAll)
			for zone, want := range c.want {
				if got := view.Zones[zone].Interfaces; !(len(got) == 0 && len(want) == 0) && !reflect.DeepEqual(got, want) {
					t.Errorf("zone %s: %v, want %v", zone, got, want)
				}
			}
			if !(len(kept) == 0 && len(c.kept) == 0) && !reflect.DeepEqual(kept, c.kept) {
				t.Errorf("kept %v, want %v", kept, c.kept)
			}
			if !reflect.DeepEqual(before, pm()) {
				t.Errorf("the permanent view was changed: %+v", before)
			}
		})
	}
}
