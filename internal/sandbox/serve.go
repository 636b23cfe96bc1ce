package sandbox

import "net"

// Serve listens on network/addr and runs handle on every accepted
// connection, each in its own goroutine, closing the connection when handle
// returns; it stops accepting when the listener is closed. It is the fake
// peer the tests use for what no real server does on demand (stall, reset,
// answer garbage or too much).
func Serve(network, addr string, handle func(net.Conn)) (net.Listener, error) {
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return l, nil
}
