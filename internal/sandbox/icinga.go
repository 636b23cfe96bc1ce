package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// IcingaNode is one private `icinga2 daemon`: its own config, zones.d, state,
// logs, cache, spool and run directories, passed as the directory constants
// Debian 12's icinga2 2.13 takes with -D (ZonesDir must be given: it does not
// follow ConfigDir), its own NodeName and API port on 127.0.0.1. Several
// nodes run side by side as a master and its agents. The caller writes
// ConfigPath (and files under ZonesDir) before Start.
type IcingaNode struct {
	Name       string // NodeName, also the name of its Endpoint
	Dir        string
	ConfigPath string // Dir/etc/icinga2.conf
	ZonesDir   string
	DataDir    string // state, api/ (synced zones), certs/, ca/ on a CA
	LogDir     string
	APIPort    int
	// RunAsRoot keeps the daemon (and so its plugins) root instead of
	// dropping to nagios as Debian's build does.
	RunAsRoot bool
	proc      *Process
}

// icingaNamespace runs icinga2 in a private mount namespace with tmpfs over
// the package's own state directories and /run: whatever 2.13 writes to a
// built-in path despite the -D constants stays out of the host's Icinga.
const icingaNamespace = `set -e
for d in /var/lib/icinga2 /var/log/icinga2 /var/cache/icinga2 /var/spool/icinga2 /run; do
	mount -t tmpfs -o mode=0755 tmpfs "$d"
done
mkdir -p /run/icinga2/cmd /var/lib/icinga2/api /var/log/icinga2/crash
chown -R nagios:nagios /run/icinga2 /var/lib/icinga2 /var/log/icinga2 /var/cache/icinga2 /var/spool/icinga2
exec icinga2 daemon "$@"
`

// NewIcingaNode makes the directories of a node under dir (owned by nagios:
// icinga2 drops to it, also for `icinga2 pki`) and picks a free API port.
func NewIcingaNode(dir, name string) (*IcingaNode, error) {
	if err := RequireRoot("icinga2"); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	n := &IcingaNode{Name: name, Dir: dir, ConfigPath: filepath.Join(dir, "etc", "icinga2.conf"),
		ZonesDir: filepath.Join(dir, "zones.d"), DataDir: filepath.Join(dir, "lib"),
		LogDir: filepath.Join(dir, "log"), APIPort: port}
	for _, sub := range []string{"etc", "zones.d", "lib/certs", "log", "cache", "spool", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	return n, n.ChownNagios()
}

// ChownNagios hands the node's tree to nagios again (after the caller wrote
// files into it as root).
func (n *IcingaNode) ChownNagios() error {
	u, err := user.Lookup("nagios")
	if err != nil {
		return fmt.Errorf("user nagios: %v (it comes with icinga2-bin: `make deps`, as root)", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(n.Dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}

// Defines are the -D constants that give this node its own directories.
func (n *IcingaNode) Defines() []string {
	d := []string{
		"-DNodeName=" + n.Name,
		"-DConfigDir=" + filepath.Join(n.Dir, "etc"),
		"-DZonesDir=" + n.ZonesDir,
		"-DDataDir=" + n.DataDir,
		"-DLogDir=" + n.LogDir,
		"-DCacheDir=" + filepath.Join(n.Dir, "cache"),
		"-DSpoolDir=" + filepath.Join(n.Dir, "spool"),
		"-DInitRunDir=" + filepath.Join(n.Dir, "run"),
	}
	if n.RunAsRoot {
		d = append(d, "-DRunAsUser=root", "-DRunAsGroup=root")
	}
	return d
}

// CLI runs `icinga2 ARGS` with this node's constants (pki, object list).
func (n *IcingaNode) CLI(args ...string) (string, error) {
	return Run(context.Background(), nil, append(append([]string{"icinga2"}, args...), n.Defines()...)...)
}

// NewCA makes this node the cluster's CA (`icinga2 pki new-ca`, into
// DataDir/ca) and gives it its own certificate signed by it.
func (n *IcingaNode) NewCA() error {
	if _, err := n.CLI("pki", "new-ca"); err != nil {
		return err
	}
	if err := n.NewCSR(); err != nil {
		return err
	}
	return n.Sign(n)
}

func (n *IcingaNode) certPath(ext string) string {
	return filepath.Join(n.DataDir, "certs", n.Name+ext)
}

// NewCSR makes the node's key and certificate request for its NodeName
// (`pki new-cert`), in DataDir/certs where 2.13's ApiListener looks for
// NAME.key, NAME.crt and ca.crt. It needs no CA, so it can run while the
// CA is being made.
func (n *IcingaNode) NewCSR() error {
	_, err := n.CLI("pki", "new-cert", "--cn", n.Name, "--key", n.certPath(".key"), "--csr", n.certPath(".csr"))
	return err
}

// Sign signs node's request with this node's CA (`pki sign-csr`) and gives
// node the CA certificate.
func (n *IcingaNode) Sign(node *IcingaNode) error {
	if _, err := n.CLI("pki", "sign-csr", "--csr", node.certPath(".csr"), "--cert", node.certPath(".crt")); err != nil {
		return err
	}
	caCert, err := os.ReadFile(filepath.Join(n.DataDir, "ca", "ca.crt"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(node.CACertPath(), caCert, 0o644); err != nil {
		return err
	}
	return node.ChownNagios()
}

// IcingaDaemonArgv is the command line that runs `icinga2 daemon ARGS` in
// its private mount namespace (see icingaNamespace); start it with
// StartProcess. A single node without an API (contrib's run test) uses it
// directly; IcingaNode.Start adds the node's constants.
func IcingaDaemonArgv(args ...string) []string {
	return append([]string{"unshare", "--mount", "--propagation", "private", "sh", "-c", icingaNamespace, "icinga2"}, args...)
}

// Start runs the daemon (env added to its environment, which the plugins
// it runs inherit) and waits until its API port accepts connections.
func (n *IcingaNode) Start(env []string) error {
	argv := IcingaDaemonArgv(append([]string{"-c", n.ConfigPath}, n.Defines()...)...)
	proc, err := StartProcess("icinga2 "+n.Name, filepath.Join(n.Dir, "daemon.out"), env, argv...)
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(n.APIPort)
	if err := proc.WaitFor(60*time.Second, "API listener on "+addr, TCPReady(addr)); err != nil {
		proc.Stop()
		return err
	}
	n.proc = proc
	return nil
}

// Kill ends the daemon at once (SIGKILL to its process group), as a crash or
// a powered-off host would: no goodbye to the other nodes.
func (n *IcingaNode) Kill() {
	if n.proc == nil || n.proc.Exited() {
		return
	}
	_ = syscall.Kill(-n.proc.PID(), syscall.SIGKILL)
	n.proc.Stop() // reaps it
}

// Stop ends the daemon; safe to call twice.
func (n *IcingaNode) Stop() { n.proc.Stop() }

// Log is the tail of the daemon's own output, for failure messages.
func (n *IcingaNode) Log() string {
	if n.proc == nil {
		return ""
	}
	return n.proc.Log()
}

// URL is the base of this node's REST API.
func (n *IcingaNode) URL() string {
	return "https://127.0.0.1:" + strconv.Itoa(n.APIPort)
}

// CACertPath is the cluster CA's certificate as this node holds it, to
// verify its API's TLS certificate (issued for NodeName).
func (n *IcingaNode) CACertPath() string {
	return filepath.Join(n.DataDir, "certs", "ca.crt")
}

// String names the node in messages.
func (n *IcingaNode) String() string {
	return fmt.Sprintf("icinga2 %s (%s)", n.Name, strings.TrimPrefix(n.URL(), "https://"))
}
