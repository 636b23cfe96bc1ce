package sandbox

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A port counts as the daemon's only when the daemon holds its listener: our
// own listener is ours, a port nobody listens on and a port another process
// listens on are refused as "Address already in use" (the error StartPostfix
// retries on).
func TestListenersOwnedBy(t *testing.T) {
	mine, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	minePort := mine.Addr().(*net.TCPAddr).Port
	if err := listenersOwnedBy(os.Getpid(), []int{minePort}); err != nil {
		t.Fatalf("our own listener: %v", err)
	}

	free, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if err := listenersOwnedBy(os.Getpid(), []int{free}); err == nil || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("a port nobody listens on: %v", err)
	}

	other, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	// Another process listening: python3 is on every host the sandbox runs.
	cmd := exec.Command("python3", "-c", "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',"+strconv.Itoa(other)+"))\ns.listen()\nprint('up',flush=True)\ntime.sleep(30)")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	buf := make([]byte, 3)
	if _, err := out.Read(buf); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(other), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other process's listener never accepted: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := listenersOwnedBy(os.Getpid(), []int{other}); err == nil {
		t.Fatal("a port another process listens on counted as ours")
	}
	if err := listenersOwnedBy(cmd.Process.Pid, []int{other}); err != nil {
		t.Fatalf("the other process's own port: %v", err)
	}
}

// TestDistinctFreePorts: the ports a daemon is given differ from one
// another (FreePort alone may repeat one) and are free on every address.
func TestDistinctFreePorts(t *testing.T) {
	addrs := []string{"127.0.0.1", "127.0.0.2"}
	ports, err := distinctFreePorts(addrs, 5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("port %d given twice: %v", p, ports)
		}
		seen[p] = true
		for _, a := range addrs {
			l, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(p)))
			if err != nil {
				t.Fatalf("port %d not free on %s: %v", p, a, err)
			}
			l.Close()
		}
	}
	if len(ports) != 5 {
		t.Fatalf("%d ports, want 5", len(ports))
	}
}
