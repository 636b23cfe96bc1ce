package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// distinctFreePorts picks n different TCP ports, each free a moment ago on
// every address of addrs. FreePort may give a port it gave a moment ago;
// a daemon given one port twice shares it between two of its services.
func distinctFreePorts(addrs []string, n int) ([]int, error) {
	var ports []int
	for try := 0; len(ports) < n; try++ {
		if try == 10*n {
			return nil, fmt.Errorf("no %d different free ports in %d tries", n, try)
		}
		port, err := freePortOnAll(addrs)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ports, port) {
			ports = append(ports, port)
		}
	}
	return ports, nil
}

// freePortOnAll is a TCP port that was free a moment ago on every address.
func freePortOnAll(addrs []string) (int, error) {
	for try := 0; try < 20; try++ {
		port, err := FreePort()
		if err != nil {
			return 0, err
		}
		free := true
		for _, a := range addrs[1:] {
			l, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return port, nil
		}
	}
	return 0, errors.New("no TCP port free on every loopback address after 20 tries")
}

// listenersOwnedBy reports whether every TCP port in ports has a listening
// socket held open by process pid. A daemon whose ports were picked with
// FreePort may have lost one to a test of another package started in the
// meantime; then a greeting on that port comes from the other test's
// daemon, and only the socket's owner tells them apart.
func listenersOwnedBy(pid int, ports []int) error {
	held, err := socketInodes(pid)
	if err != nil {
		return err
	}
	for _, port := range ports {
		inodes, err := listeningInodes(pid, port)
		if err != nil {
			return err
		}
		owned := false
		for _, ino := range inodes {
			owned = owned || held[ino]
		}
		if !owned {
			return fmt.Errorf("port %d: Address already in use (its listener belongs to another process)", port)
		}
	}
	return nil
}

// socketInodes are the inodes of the sockets process pid holds open.
func socketInodes(pid int) (map[string]bool, error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && strings.HasPrefix(target, "socket:[") {
			held[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	return held, nil
}

// listeningInodes are the inodes of the TCP sockets listening on port in
// process pid's network namespace, from its net/tcp and tcp6 (state 0A is
// LISTEN).
func listeningInodes(pid, port int) ([]string, error) {
	want := fmt.Sprintf(":%04X", port)
	var inodes []string
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "net", name))
		if os.IsNotExist(err) {
			continue // no IPv6 in this kernel
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 9 && strings.HasSuffix(fields[1], want) && fields[3] == "0A" {
				inodes = append(inodes, fields[9])
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return inodes, nil
}
