package imaptls

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// renamedIn24 pairs each 2.3 name with its 2.4 name: a text naming one must
// name the other.
var renamedIn24 = map[string]string{
	"ssl_cert": "ssl_server_cert_file", "ssl_key": "ssl_server_key_file", "disable_plaintext_auth": "auth_allow_cleartext",
}

// versionOnly are the settings a fix names in both forms because only one
// Dovecot version knows each (see dovecot_settings.go).
var versionOnly = map[string]string{
	"ssl_server_cert_file": "2.4", "ssl_server_key_file": "2.4", "auth_allow_cleartext": "2.4",
	"ssl_cert": "2.3", "ssl_key": "2.3", "disable_plaintext_auth": "2.3",
}

// dovecotSettingName matches what reads as a Dovecot setting in a fix text.
var dovecotSettingName = regexp.MustCompile(`\b(?:ssl|auth|disable|imap|mail|protocols)(?:_[a-z]+)*\b`)

// TestFixSettingsKnownToDoveconf asks the installed doveconf (2.3 on Debian 12,
// 2.4 on Debian 13) about every setting the package's fix texts name: a fix
// must never tell an operator to set something their Dovecot refuses. Names
// of the other version must be refused, which is why both are printed.
func TestFixSettingsKnownToDoveconf(t *testing.T) {
	version, err := sandbox.DovecotVersion()
	if err != nil {
		t.Fatal(err)
	}
	is24 := sandbox.DovecotIs24(version)
	header := ""
	if is24 {
		header = "dovecot_config_version = " + version + "\n"
	}
	names := fixSettingNames(t)
	for name := range versionOnly {
		names[name] = true
	}
	if len(names) < 8 {
		t.Fatalf("found only %d setting names in the fix texts: %v", len(names), names)
	}
	t.Logf("Dovecot %s; settings named in fix texts: %v", version, slices.Sorted(maps.Keys(names)))
	for _, name := range slices.Sorted(maps.Keys(names)) {
		// A config that sets it, as an operator following the fix would:
		// doveconf -n refuses an unknown name with "Unknown setting".
		conf := filepath.Join(t.TempDir(), name+".conf")
		if err := os.WriteFile(conf, []byte(header+name+" = x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("doveconf", "-c", conf, "-n").CombinedOutput()
		known := !strings.Contains(string(out), "Unknown setting")
		if err == nil && !known {
			t.Fatalf("doveconf -n succeeded but printed %q", out)
		}
		want := true
		if v, ok := versionOnly[name]; ok {
			want = (v == "2.4") == is24
		}
		if known != want {
			t.Errorf("Dovecot %s: doveconf %s: known=%v, want %v (%s)", version, name, known, want, strings.TrimSpace(string(out)))
		}
	}
}

// fixSettingNames collects every Dovecot-looking setting name from the
// string literals of the package's own (non-test) sources.
func fixSettingNames(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !strings.Contains(s, "dove") && !strings.Contains(s, "Dovecot") && !strings.Contains(s, " = ") {
				return true
			}
			found := map[string]bool{}
			for _, m := range dovecotSettingName.FindAllString(s, -1) {
				if strings.Contains(m, "_") || m == "protocols" {
					names[m], found[m] = true, true
				}
			}
			for old, renamed := range renamedIn24 {
				if found[old] != found[renamed] {
					t.Errorf("%s: %q names only one of %s (Dovecot 2.3) and %s (2.4)", fset.Position(lit.Pos()), s, old, renamed)
				}
			}
			return true
		})
	}
	return names
}
