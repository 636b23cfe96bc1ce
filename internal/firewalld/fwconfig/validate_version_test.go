package fwconfig

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailhost-checks/mailchecks/internal/firewalld/expat"
	"github.com/mailhost-checks/mailchecks/internal/plugin"
	"github.com/mailhost-checks/mailchecks/internal/remote"
)

func TestParseFirewalldVersion(t *testing.T) {
	for _, c := range []struct {
		text  string
		known bool
		rules []RuleSet
	}{
		{"2.3.1", true, []RuleSet{Rules2}},
		{"1.3.3\n", true, []RuleSet{Rules13}},
		{"0.9.11", true, []RuleSet{Rules13}},
		{"3.0", true, []RuleSet{Rules2}},
		{"", false, []RuleSet{Rules13, Rules2}},
		{"Error: DBUS_ERROR", false, []RuleSet{Rules13, Rules2}},
	} {
		v := ParseFirewalldVersion(c.text, "test")
		if v.Known() != c.known || len(v.RuleSets()) != len(c.rules) || v.RuleSets()[0] != c.rules[0] {
			t.Errorf("%q: %+v, rules %v", c.text, v, v.RuleSets())
		}
		if !c.known && (v.Err == nil || !strings.Contains(v.Describe(), "unknown")) {
			t.Errorf("%q: an unknown version must say why: %q", c.text, v.Describe())
		}
	}
}

// With the version unknown, every corpus case is judged by both releases'
// rules: a file both refuse is refused, a file one refuses names that
// release (OnlyUnder), so nothing either release refuses is passed over.
func TestValidatePermanentUnknownVersionJudgesByBoth(t *testing.T) {
	exp13, exp2 := readCorpusFor(t, Rules13), readCorpusFor(t, Rules2)
	for i, c13 := range exp13 {
		c2 := exp2[i]
		t.Run(c13.name, func(t *testing.T) {
			d := Dirs{ConfigDir: filepath.Join("testdata/config", c13.name, "etc"), DefaultDir: "/usr/lib/firewalld"}
			files, err := remote.Local{}.ReadFiles(context.Background(), PermanentPatterns(d), expat.MaxFileBytes)
			if err != nil {
				t.Fatal(err)
			}
			if !hasConf(files, d) {
				files = append(files, remote.File{Path: filepath.Join(d.ConfigDir, "firewalld.conf"), Data: []byte("DefaultZone=public\n")})
			}
			problems := ValidatePermanent(d, files, FirewalldVersion{Err: errors.New("test")})
			for _, p := range []struct {
				path  string
				under string
			}{{c13.refused, Rules13.String()}, {c2.refused, Rules2.String()}} {
				if p.path == "" {
					continue
				}
				want := ""
				if c13.refused != c2.refused {
					want = p.under
				}
				found := false
				for _, got := range problems {
					if got.Path == filepath.Join(d.ConfigDir, p.path) {
						found = true
						if got.OnlyUnder != want {
							t.Errorf("%s: OnlyUnder %q, want %q", p.path, got.OnlyUnder, want)
						}
					}
				}
				if !found {
					t.Errorf("%s is not reported: %v", p.path, problems)
				}
			}
			if c13.refused == "" && c2.refused == "" && len(problems) > 0 {
				t.Errorf("both releases accept it; got %v", problems)
			}
		})
	}
}

func hasConf(files []remote.File, d Dirs) bool {
	for _, f := range files {
		if f.Path == filepath.Join(d.ConfigDir, "firewalld.conf") && f.Err == nil {
			return true
		}
	}
	return false
}

// The installed release's stock tree is valid by its own rules, and by
// the other release's too: an unknown version must not make the package
// defaults look broken.
func TestStockTreeValidByBothReleases(t *testing.T) {
	d := Dirs{ConfigDir: "/nonexistent/etc/firewalld", DefaultDir: "/usr/lib/firewalld"}
	files, err := remote.Local{}.ReadFiles(context.Background(), PermanentPatterns(d), expat.MaxFileBytes)
	if err != nil || len(files) < 100 {
		t.Fatalf("stock tree: %d files, %v (%s)", len(files), err, firewalldInstall)
	}
	if p := ValidatePermanent(d, files, FirewalldVersion{}); len(p) > 0 {
		t.Fatalf("%v", p)
	}
}

// The version may come late (firewall-cmd --version starts a Python) or
// never (a hung firewall-cmd): a late one still picks its release's
// verdict, a missing one ends as unknown when ctx does, both verdicts
// merged, so the check answers in time.
func TestValidateAsVersionArrives(t *testing.T) {
	d := Dirs{ConfigDir: "testdata/config/valid-rule-missing-family/etc", DefaultDir: "/usr/lib/firewalld"}
	files, err := remote.Local{}.ReadFiles(context.Background(), PermanentPatterns(d), expat.MaxFileBytes)
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, remote.File{Path: filepath.Join(d.ConfigDir, "firewalld.conf"), Data: []byte("DefaultZone=public\n")})
	for _, c := range []struct {
		text     string
		refused  bool
		onlyTwoX bool
	}{{"1.3.3", false, false}, {"2.3.1", true, false}, {"", true, true}} {
		version := make(chan FirewalldVersion, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		if c.text != "" {
			go func() { time.Sleep(3 * versionWait); version <- ParseFirewalldVersion(c.text, "test") }()
		}
		start := time.Now()
		v, problems, _ := ValidateAsVersionArrives(ctx, d, files, version)
		cancel()
		if c.text == "" && (v.Known() || !errors.Is(v.Err, plugin.ErrTimeout) || time.Since(start) > time.Second) {
			t.Errorf("no version: got %+v after %v", v, time.Since(start))
		}
		if (len(problems) > 0) != c.refused || (c.refused && (problems[0].OnlyUnder == Rules2.String()) != c.onlyTwoX) {
			t.Errorf("%q: %+v", c.text, problems)
		}
	}
}
