package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Firewalld is a private firewalld: its own network and mount namespace
// (so its nftables rules touch nothing on the host), its own D-Bus system bus
// on a socket path, and its own admin config tree (--system-config). The
// package defaults in /usr/lib/firewalld are the real ones.
type Firewalld struct {
	Dir        string // scratch dir
	ConfigDir  string // plays /etc/firewalld
	DefaultDir string // /usr/lib/firewalld
	BusAddress string // unix:path=…
	bus        *Process
	daemon     *Process
}

// Env is the environment a client needs to reach this firewalld.
func (f *Firewalld) Env() []string {
	return []string{"DBUS_SYSTEM_BUS_ADDRESS=" + f.BusAddress}
}

// busConfig lets everyone own and call anything: the bus is private to the
// sandbox, and access control is not what the sandbox is for.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`

// StartFirewalld starts a bus and firewalld in dir and waits until firewalld
// answers (about 0.6 s). The admin config starts as Debian ships it:
// firewalld.conf with DefaultZone=public and no zone files of its own.
func StartFirewalld(dir string) (*Firewalld, error) {
	if err := RequireRoot("firewalld"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f := &Firewalld{
		Dir:        dir,
		ConfigDir:  filepath.Join(dir, "etc-firewalld"),
		DefaultDir: "/usr/lib/firewalld",
	}
	socket := filepath.Join(dir, "system_bus_socket")
	f.BusAddress = "unix:path=" + socket
	if err := WriteFile(filepath.Join(dir, "bus.conf"), fmt.Sprintf(busConfig, socket), 0o644); err != nil {
		return nil, err
	}
	if err := WriteFile(filepath.Join(f.ConfigDir, "firewalld.conf"), "DefaultZone=public\nCleanupOnExit=yes\n", 0o644); err != nil {
		return nil, err
	}
	for _, sub := range []string{"zones", "services"} {
		if err := os.MkdirAll(filepath.Join(f.ConfigDir, sub), 0o750); err != nil {
			return nil, err
		}
	}
	if err := f.startBus(); err != nil {
		return nil, err
	}
	if err := f.Start(); err != nil {
		f.bus.Stop()
		return nil, err
	}
	return f, nil
}

func (f *Firewalld) startBus() error {
	bus, err := StartProcess("dbus-daemon", filepath.Join(f.Dir, "dbus.log"), nil,
		"dbus-daemon", "--config-file="+filepath.Join(f.Dir, "bus.conf"), "--nofork", "--nopidfile")
	if err != nil {
		return err
	}
	socket := strings.TrimPrefix(f.BusAddress, "unix:path=")
	if err := bus.WaitFor(10*time.Second, "bus socket", SocketReady(socket)); err != nil {
		bus.Stop()
		return err
	}
	f.bus = bus
	return nil
}

// Start (re)starts the firewalld daemon on the existing bus.
func (f *Firewalld) Start() error {
	if err := os.MkdirAll("/run/firewalld", 0o755); err != nil {
		return err
	}
	// unshare without --fork execs sh, which execs firewalld: the PID we
	// hold is firewalld's. The tmpfs keeps its runtime state out of the
	// host's /run/firewalld.
	script := "mount -t tmpfs tmpfs /run/firewalld && exec firewalld --nofork --nopid --log-target console --system-config " + f.ConfigDir
	daemon, err := StartProcess("firewalld", filepath.Join(f.Dir, "firewalld.log"), f.Env(),
		"unshare", "--net", "--mount", "sh", "-c", script)
	if err != nil {
		return err
	}
	ready := func() error {
		out, err := f.Cmd("--state")
		if err != nil || strings.TrimSpace(out) != "running" {
			return fmt.Errorf("firewall-cmd --state: %q %v", strings.TrimSpace(out), err)
		}
		return nil
	}
	if err := daemon.WaitFor(20*time.Second, "running state", ready); err != nil {
		daemon.Stop()
		return err
	}
	f.daemon = daemon
	return nil
}

// StopDaemon stops firewalld but keeps the bus, as `systemctl stop firewalld`
// would leave the system bus running.
func (f *Firewalld) StopDaemon() { f.daemon.Stop() }

// Stop ends firewalld and the bus.
func (f *Firewalld) Stop() {
	f.daemon.Stop()
	f.bus.Stop()
}

// Cmd runs firewall-cmd against this firewalld.
func (f *Firewalld) Cmd(args ...string) (string, error) {
	return Run(context.Background(), f.Env(), append([]string{"firewall-cmd"}, args...)...)
}

// OpenPermanently adds services to the permanent config and reloads, as an
// operator who did it right would.
func (f *Firewalld) OpenPermanently(services ...string) error {
	for _, s := range services {
		if _, err := f.Cmd("--permanent", "--add-service="+s); err != nil {
			return err
		}
	}
	_, err := f.Cmd("--reload")
	return err
}

// OfflineCmd runs firewall-offline-cmd on this sandbox's config tree.
func (f *Firewalld) OfflineCmd(args ...string) (string, error) {
	return Run(context.Background(), nil, append([]string{"firewall-offline-cmd", "--system-config", f.ConfigDir}, args...)...)
}
