package fail2ban

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile peers of the matrix run in a child process (this test binary
// re-run with hostilePeerEnv set), so that the goroutine and file-descriptor
// counts of the test process are the check's alone. They stand in for what
// no real fail2ban does on demand: stall, drip, reset, answer garbage.
const hostilePeerEnv = "F2B_HOSTILE_PEER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(hostilePeerEnv); mode != "" {
		if err := runHostilePeer(mode, os.Args[len(os.Args)-1]); err != nil {
			fmt.Fprintln(os.Stderr, "hostile peer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startHostilePeer runs the peer and returns its socket once it listens.
func startHostilePeer(t *testing.T, mode string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), mode+".sock")
	cmd := exec.Command(os.Args[0], "-test.run=^$", path)
	cmd.Env = append(os.Environ(), hostilePeerEnv+"="+mode)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path + ".ready"); err == nil {
			return path
		}
		if time.Now().After(deadline) {
			t.Fatalf("hostile peer %s did not start: %s", mode, stderr.String())
		}
	}
}

func runHostilePeer(mode, path string) error {
	status, err := os.ReadFile(filepath.Join("testdata", "replies", "status.pickle"))
	if err != nil {
		return err
	}
	reply := append(status, terminator...)
	if mode == "never-accepts" {
		return neverAccepts(path)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".ready", nil, 0o644); err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go hostileConn(mode, c.(*net.UnixConn), reply, status)
	}
}

func hostileConn(mode string, c *net.UnixConn, reply, status []byte) {
	defer c.Close()
	switch mode {
	case "silent": // accepts, reads, never answers
		_ = readRequest(c)
		select {}
	case "truncated-pickle": // a real reply cut short, then its end marker
		_ = readRequest(c)
		c.Write(append(status[:len(status)/2:len(status)/2], terminator...))
		select {}
	case "drip": // a real reply, one byte a second
		_ = readRequest(c)
		for _, b := range reply {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	case "reset": // half a reply, then close with the request unread: ECONNRESET
		c.Write(reply[:len(reply)/2])
		time.Sleep(50 * time.Millisecond)
	case "garbage": // something that is no pickle, framed like a reply
		_ = readRequest(c)
		c.Write([]byte("\x00\xffHTTP/1.1 400 Bad Request\r\n\r\n" + strings.Repeat("\xde\xad", 100) + terminator))
		select {}
	}
}

// neverAccepts listens with a backlog of 0 and fills it, then never
// accepts: a wedged server whose kernel queue is full.
func neverAccepts(path string) error {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		return err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		return err
	}
	var held []net.Conn
	for {
		c, err := net.Dial("unix", path)
		if err != nil {
			break // EAGAIN: the queue is full
		}
		held = append(held, c)
	}
	if err := os.WriteFile(path+".ready", nil, 0o644); err != nil {
		return err
	}
	// Not select{}: with every goroutine blocked and no timer the runtime
	// declares a deadlock and exits, and the socket would then refuse
	// connections (a stopped server, not a wedged one). KeepAlive keeps the
	// queued connections from being collected.
	for {
		time.Sleep(time.Hour)
		runtime.KeepAlive(held)
	}
}
