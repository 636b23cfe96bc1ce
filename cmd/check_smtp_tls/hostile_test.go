package main

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fakes for what no real Postfix does on demand: a peer that injects bytes
// after its 220 to STARTTLS, and one that never greets.

// fakeSMTP serves each connection with handle until the test ends.
func fakeSMTP(t *testing.T, handle func(c net.Conn, r *bufio.Reader)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// closedPort is a port nothing listens on (bound, then closed).
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestSTARTTLSInjectionRefused(t *testing.T) {
	t.Parallel()
	port := fakeSMTP(t, func(c net.Conn, r *bufio.Reader) {
		c.Write([]byte("220 fake ESMTP\r\n"))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "EHLO"):
				c.Write([]byte("250-fake\r\n250 STARTTLS\r\n"))
			case strings.HasPrefix(line, "STARTTLS"):
				c.Write([]byte("220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n"))
			default:
				c.Write([]byte("502 no\r\n"))
			}
		}
	})
	expect(t, 2, []string{"CRITICAL: STARTTLS: ", "after its 220 reply to STARTTLS", "middlebox"},
		"-H", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "5")
}

func TestSilentServerBoundedByTimeout(t *testing.T) {
	t.Parallel()
	port := fakeSMTP(t, func(c net.Conn, r *bufio.Reader) { _, _ = r.ReadString('\n') })
	start := time.Now()
	expect(t, 2, []string{"CRITICAL: greeting: no SMTP greeting from 127.0.0.1:" + strconv.Itoa(port), "went silent", "--implicit-tls"},
		"-H", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "2")
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("took %s with -t 2", took)
	}
}
