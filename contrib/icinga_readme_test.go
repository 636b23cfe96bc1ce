package contrib

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mailhost-checks/mailchecks/internal/sandbox"
)

// readmeFileBlocks returns the fenced blocks of the Icinga 2 page
// (docs/icinga-nrpe.md, moved there from the README) whose first line is
// "/* NODE: /etc/icinga2/PATH */", by node and path: the files the Icinga 2
// section tells the operator to paste over the packaged ones.
func readmeFileBlocks(t *testing.T) map[string]map[string]string {
	t.Helper()
	head := regexp.MustCompile(`^/\* (master|mail host): (/etc/icinga2/\S+) \*/$`)
	blocks := map[string]map[string]string{}
	parts := strings.Split(readFile(t, "../docs/icinga-nrpe.md"), "```")
	for i := 1; i < len(parts); i += 2 {
		body := strings.TrimPrefix(parts[i], "\n")
		first, _, _ := strings.Cut(body, "\n")
		if m := head.FindStringSubmatch(first); m != nil {
			if blocks[m[1]] == nil {
				blocks[m[1]] = map[string]string{}
			}
			blocks[m[1]][m[2]] = body
		}
	}
	return blocks
}

// pastedNode is one node of the README's cluster: its own directories and
// API certificate (sandbox.IcingaNode, the real `icinga2 pki`), the
// configuration the icinga2 package installed (a copy of /etc/icinga2, as on
// a fresh host), the README's files pasted over it, the api feature enabled.
func pastedNode(t *testing.T, n *sandbox.IcingaNode, files map[string]string, extra map[string]string) {
	t.Helper()
	if _, err := os.Stat("/etc/icinga2/icinga2.conf"); err != nil {
		t.Fatalf("no packaged Icinga 2 configuration: %v: install the Debian package icinga2-common (`make deps`)", err)
	}
	etc := filepath.Dir(n.ConfigPath)
	if err := os.RemoveAll(etc); err != nil {
		t.Fatal(err)
	}
	run(t, false, nil, "", "cp", "-a", "/etc/icinga2", etc)
	for path, text := range files {
		writeFile(t, filepath.Join(etc, strings.TrimPrefix(path, "/etc/icinga2/")), text, 0o644)
	}
	for path, text := range extra {
		writeFile(t, filepath.Join(n.Dir, path), text, 0o644)
	}
	api := filepath.Join(etc, "features-enabled", "api.conf") // icinga2 feature enable api
	os.Remove(api)
	if err := os.Symlink("../features-available/api.conf", api); err != nil {
		t.Fatal(err)
	}
	if err := n.ChownNagios(); err != nil {
		t.Fatal(err)
	}
}

// validateNode runs `icinga2 daemon -C` on the node, in the sandbox's
// private mount namespace (nothing reaches the host's Icinga state).
func validateNode(t *testing.T, n *sandbox.IcingaNode) (string, error) {
	t.Helper()
	return sandbox.Run(context.Background(), nil, sandbox.IcingaDaemonArgv(append([]string{"-C", "-c", n.ConfigPath}, n.Defines()...)...)...)
}

// TestIcingaREADMESnippetsPasteCleanly: the README's zones.conf for each
// node and the agent's api.conf, pasted over the packaged configuration
// with the api feature enabled on both, and commands.conf in the master's
// global zone as the README says, pass the real `icinga2 daemon -C` with
// certificates from the real PKI. Pasting the ApiListener beside the
// packaged api.conf instead (what the README once showed) fails with
// "re-defined".
func TestIcingaREADMESnippetsPasteCleanly(t *testing.T) {
	sandbox.FailUnlessRoot(t, "namespaces, sudo -U, daemons dropping to nagios")
	requireTool(t, "icinga2")
	blocks := readmeFileBlocks(t)
	for node, files := range map[string][]string{
		"master":    {"/etc/icinga2/zones.conf"},
		"mail host": {"/etc/icinga2/zones.conf", "/etc/icinga2/features-available/api.conf"},
	} {
		for _, f := range files {
			if blocks[node][f] == "" {
				t.Fatalf("docs/icinga-nrpe.md has no block for the %s's %s (first line /* %s: %s */)", node, f, node, f)
			}
		}
	}
	dir := worldDir(t)
	master, err := sandbox.NewIcingaNode(filepath.Join(dir, "master"), "master.example.org")
	if err != nil {
		t.Fatal(err)
	}
	mail, err := sandbox.NewIcingaNode(filepath.Join(dir, "mail"), "mail.example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := master.NewCA(); err != nil {
		t.Fatal(err)
	}
	if err := mail.NewCSR(); err != nil {
		t.Fatal(err)
	}
	if err := master.Sign(mail); err != nil {
		t.Fatal(err)
	}
	commands := map[string]string{"zones.d/global-templates/mailchecks-commands.conf": readFile(t, "icinga/commands.conf")}

	pastedNode(t, master, blocks["master"], commands)
	out, err := validateNode(t, master)
	if err != nil {
		t.Errorf("icinga2 daemon -C on the master's pasted configuration: %v\n%s", err, out)
	} else if !strings.Contains(out, "CheckCommands") {
		t.Errorf("the master instantiated no CheckCommands (commands.conf in the global zone?):\n%s", out)
	}
	pastedNode(t, mail, blocks["mail host"], nil)
	if out, err := validateNode(t, mail); err != nil {
		t.Errorf("icinga2 daemon -C on the mail host's pasted configuration: %v\n%s", err, out)
	}

	// The old way: the ApiListener added beside the packaged api.conf.
	pastedNode(t, mail, map[string]string{"/etc/icinga2/zones.conf": blocks["mail host"]["/etc/icinga2/zones.conf"],
		"/etc/icinga2/conf.d/mailchecks-api.conf": blocks["mail host"]["/etc/icinga2/features-available/api.conf"]}, nil)
	if out, err := validateNode(t, mail); err == nil || !strings.Contains(out, "re-defined") {
		t.Errorf("a second ApiListener \"api\": %v, want a failure saying re-defined:\n%s", err, out)
	}
}
