package contrib

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFirewalldACLLetsGroupRead runs docs/privileges.md's two setfacl lines
// as written (on a copy of /etc/firewalld's layout: a root-only 0750 tree)
// in a namespace whose /etc/group has nagios in mailchecks, as after the
// page's groupadd and usermod: nagios cannot read the zone files before,
// can after, and can read a file created later (the default ACL: what
// firewall-cmd --permanent writes), yet still cannot write there.
func TestFirewalldACLLetsGroupRead(t *testing.T) {
	requireTool(t, "setfacl")
	var lines [][]string
	for _, line := range strings.Split(readFile(t, "../docs/privileges.md"), "\n") {
		if cmd, _, _ := strings.Cut(line, "#"); strings.HasPrefix(cmd, "setfacl ") && strings.Contains(cmd, "/etc/firewalld") {
			lines = append(lines, strings.Fields(cmd))
		}
	}
	if len(lines) != 2 {
		t.Fatalf("docs/privileges.md shows %d setfacl lines for /etc/firewalld, want 2 (the access ACL and the default ACL)", len(lines))
	}
	in := install(t)
	etc := filepath.Join(worldDir(t), "firewalld")
	writeFile(t, filepath.Join(etc, "zones", "public.xml"), "<zone/>\n", 0o600)
	writeFile(t, filepath.Join(etc, "firewalld.conf"), "DefaultZone=public\n", 0o600)
	for _, dir := range []string{etc, filepath.Join(etc, "zones")} {
		if r := run(t, false, nil, "", "chmod", "0750", dir); r.code != 0 {
			t.Fatal(r.stderr)
		}
	}
	zone := filepath.Join(etc, "zones", "public.xml")
	asNagios := func(argv ...string) result { return run(t, false, nil, "", in.argv("nagios", argv...)...) }

	if r := asNagios("cat", zone); r.code == 0 {
		t.Fatalf("nagios read %s before any ACL: the test cannot tell what the ACL grants", zone)
	}
	for _, argv := range lines {
		for i, a := range argv {
			argv[i] = strings.Replace(a, "/etc/firewalld", etc, 1)
		}
		if r := run(t, false, nil, "", in.argv("", argv...)...); r.code != 0 {
			t.Fatalf("%s: exit %d: %s", strings.Join(argv, " "), r.code, r.stderr)
		}
	}
	for _, f := range []string{zone, filepath.Join(etc, "firewalld.conf")} {
		if r := asNagios("cat", f); r.code != 0 {
			t.Errorf("after the ACL, nagios (in mailchecks) cannot read %s: %s", f, r.stderr)
		}
	}
	later := filepath.Join(etc, "zones", "internal.xml")
	writeFile(t, later, "<zone/>\n", 0o640) // no read for others: only the default ACL can grant it
	if r := asNagios("cat", later); r.code != 0 {
		t.Errorf("a zone file created after the ACL is not readable by nagios (the default ACL): %s", r.stderr)
	}
	if r := asNagios("sh", "-c", "echo x > "+zone); r.code == 0 {
		t.Errorf("nagios could write %s: the ACL grants more than reading", zone)
	}
	if got := readFile(t, zone); got != "<zone/>\n" {
		t.Errorf("%s changed to %q", zone, got)
	}
}
