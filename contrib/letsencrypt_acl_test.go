package contrib

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLetsEncryptACLLetsGroupReadCert runs docs/privileges.md's setfacl for
// certbot's directories as written, on certbot's layout (live/ and archive/
// root 0700, the domain directories 0755, certificates 0644, keys 0600, live/
// names symlinks into archive/): nagios in mailchecks cannot read the chain
// before, can after (what --cert-file needs), and still cannot read the key.
func TestLetsEncryptACLLetsGroupReadCert(t *testing.T) {
	requireTool(t, "setfacl")
	m := regexp.MustCompile("`(setfacl [^`]*/etc/letsencrypt/live[^`]*)`").FindStringSubmatch(readFile(t, "../docs/privileges.md"))
	if m == nil {
		t.Fatal("docs/privileges.md shows no setfacl line for /etc/letsencrypt/live")
	}
	in := install(t)
	le := filepath.Join(worldDir(t), "letsencrypt")
	const name = "mail.example.org"
	writeFile(t, filepath.Join(le, "archive", name, "fullchain1.pem"), "chain\n", 0o644)
	writeFile(t, filepath.Join(le, "archive", name, "privkey1.pem"), "key\n", 0o600)
	if err := os.MkdirAll(filepath.Join(le, "live", name), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"fullchain", "privkey"} {
		if err := os.Symlink("../../archive/"+name+"/"+f+"1.pem", filepath.Join(le, "live", name, f+".pem")); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{"live", "archive"} {
		if err := os.Chmod(filepath.Join(le, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	chain, key := filepath.Join(le, "live", name, "fullchain.pem"), filepath.Join(le, "live", name, "privkey.pem")
	asNagios := func(argv ...string) result { return run(t, false, nil, "", in.argv("nagios", argv...)...) }

	if r := asNagios("cat", chain); r.code == 0 {
		t.Fatalf("nagios read %s before the ACL: the test cannot tell what the ACL grants", chain)
	}
	argv := strings.Fields(strings.ReplaceAll(m[1], "/etc/letsencrypt", le))
	if r := run(t, false, nil, "", in.argv("", argv...)...); r.code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(argv, " "), r.code, r.stderr)
	}
	if r := asNagios("cat", chain); r.code != 0 || r.stdout != "chain\n" {
		t.Errorf("after %s, nagios (in mailchecks) cannot read %s: %s", m[1], chain, r.stderr)
	}
	if r := asNagios("cat", key); r.code == 0 {
		t.Errorf("after %s, nagios can read the private key %s", m[1], key)
	}
}
