package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// NetworkManager is a private NetworkManager inside firewalld's network
// namespace, on firewalld's private bus, managing mail0 alone with one
// saved keyfile profile ("mail"). It binds mail0 to firewalld's zones as
// it does on a Fedora/RHEL host (addInterface/changeZoneOfInterface with
// the profile's connection.zone), and firewalld's reload asks it back.
//
// It must never touch the host: it runs in the test's network namespace
// and a mount namespace of its own, where tmpfs hides /etc/NetworkManager,
// /run/NetworkManager and /var/lib/NetworkManager (its config, runtime and
// state dirs: all it reads and writes is under Dir) and /run/udev, and
// sysfs is the namespace's, read-only (with /sys writable NetworkManager
// waits for udev, which does not run in the namespace, and leaves every
// device unmanaged). Every device but mail0 is unmanaged; DNS, hostname
// and connectivity checks are off.
type NetworkManager struct {
	Dir     string
	Profile string // the keyfile profile's id
	fw      *Firewalld
	daemon  *Process
}

const nmConf = `[main]
plugins=keyfile
no-auto-default=*
dns=none
rc-manager=unmanaged
hostname-mode=none
auth-polkit=false
systemd-resolved=false

[keyfile]
path=%s
unmanaged-devices=except:interface-name:%s

[connectivity]
enabled=false
`

// The profile takes over mail0 as AttachClient configured it (the same
// addresses and routes), so the veth keeps working.
const nmProfile = `[connection]
id=mail
type=ethernet
interface-name=%s
autoconnect=true
zone=%s

[ipv4]
method=manual
address1=%s/24,%s

[ipv6]
method=manual
address1=%s/64,%s
`

// StartNetworkManager starts NetworkManager in firewalld's namespace with
// the mail profile's connection.zone set to zone ("" = firewalld's default
// zone), after AttachClient, and waits until mail0 is activated and
// firewalld holds NetworkManager's binding.
func (f *Firewalld) StartNetworkManager(zone string) (*NetworkManager, error) {
	n := &NetworkManager{Dir: filepath.Join(f.Dir, "networkmanager"), Profile: "mail", fw: f}
	conns := filepath.Join(n.Dir, "system-connections")
	for _, d := range []string{conns, filepath.Join(n.Dir, "conf.d"), filepath.Join(n.Dir, "system-conf.d")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	conf := filepath.Join(n.Dir, "NetworkManager.conf")
	if err := WriteFile(conf, fmt.Sprintf(nmConf, conns, MailIfname), 0o644); err != nil {
		return nil, err
	}
	profile := fmt.Sprintf(nmProfile, MailIfname, zone, MailIPv4, ClientIPv4, MailIPv6, ClientIPv6)
	if err := WriteFile(filepath.Join(conns, "mail.nmconnection"), profile, 0o600); err != nil {
		return nil, err
	}
	for _, d := range []string{"/run/NetworkManager", "/var/lib/NetworkManager", "/etc/NetworkManager"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// nsenter and unshare (without --fork) exec, and so does sh: the PID
	// held is NetworkManager's. --debug: stay in the foreground, log to
	// stderr (--no-daemon logs to syslog).
	script := "mount -t sysfs -o ro sysfs /sys && mount -t tmpfs tmpfs /run/NetworkManager && " +
		"mount -t tmpfs tmpfs /var/lib/NetworkManager && mount -t tmpfs tmpfs /etc/NetworkManager && " +
		"{ [ ! -d /run/udev ] || mount -t tmpfs tmpfs /run/udev; } && " +
		"exec NetworkManager --debug --config=" + conf +
		" --config-dir=" + filepath.Join(n.Dir, "conf.d") +
		" --system-config-dir=" + filepath.Join(n.Dir, "system-conf.d") +
		" --intern-config=" + filepath.Join(n.Dir, "intern.conf") +
		" --state-file=" + filepath.Join(n.Dir, "NetworkManager.state") +
		" --pid-file=" + filepath.Join(n.Dir, "NetworkManager.pid")
	daemon, err := StartProcess("NetworkManager", filepath.Join(n.Dir, "NetworkManager.log"), f.Env(),
		"nsenter", "--net="+f.NetNS(), "unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	if err != nil {
		return nil, err
	}
	n.daemon = daemon
	if err := daemon.WaitFor(30*time.Second, "mail0 activated and bound in firewalld", n.bound(zone)); err != nil {
		daemon.Stop()
		return nil, err
	}
	return n, nil
}

// bound is ready when NetworkManager has activated the profile on mail0
// and firewalld's runtime has mail0 in zone (the default zone for "").
func (n *NetworkManager) bound(zone string) func() error {
	return func() error {
		out, err := n.Cmd("-g", "GENERAL.STATE,GENERAL.CONNECTION", "device", "show", MailIfname)
		if err != nil || !strings.Contains(out, "(connected)") {
			return fmt.Errorf("nmcli device show %s: %q %v", MailIfname, out, err)
		}
		want := zone
		if want == "" {
			if want, err = n.fw.Cmd("--get-default-zone"); err != nil {
				return err
			}
			want = strings.TrimSpace(want)
		}
		if got := n.fw.RuntimeZoneOf(MailIfname); got != want {
			return fmt.Errorf("firewalld binds %s to %q, want %q", MailIfname, got, want)
		}
		return nil
	}
}

// Cmd runs nmcli against this NetworkManager.
func (n *NetworkManager) Cmd(args ...string) (string, error) {
	return Run(context.Background(), n.fw.Env(), append([]string{"nmcli"}, args...)...)
}

// Stop ends NetworkManager. It leaves mail0 and its addresses as they are
// (NetworkManager does not deconfigure devices when it quits).
func (n *NetworkManager) Stop() { n.daemon.Stop() }

// RuntimeZoneOf is the zone firewalld's runtime binds iface to, "" when
// none: from --get-active-zones, which is firewalld's own runtime (unlike
// --get-zone-of-interface, which asks NetworkManager first).
func (f *Firewalld) RuntimeZoneOf(iface string) string {
	out, err := f.Cmd("--get-active-zones")
	if err != nil {
		return ""
	}
	zone := ""
	for _, line := range strings.Split(out, "\n") {
		if line != "" && line[0] != ' ' && line[0] != '\t' {
			zone = strings.Fields(line)[0]
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && k == "interfaces" {
			for _, i := range strings.Fields(v) {
				if i == iface {
					return zone
				}
			}
		}
	}
	return ""
}
