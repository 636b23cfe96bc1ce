package tlsjudge

import (
	"net"
	"sync/atomic"
	"time"
)

// CountingConn remembers when the server last sent something, so that a
// deadline that passes while bytes are still trickling in (one a second, a
// tarpit, a congested path) is reported as a trickle and not as silence:
// the two have different causes and fixes.
type CountingConn struct {
	net.Conn
	bytes    atomic.Int64
	lastRead atomic.Int64 // UnixNano of the last read that returned data
}

func (c *CountingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.bytes.Add(int64(n))
		c.lastRead.Store(time.Now().UnixNano())
	}
	return n, err
}

// Trickling reports whether the server was still sending when a phase
// that began at began timed out: something arrived in the second half of
// the phase. A server that sent a little and then stalled is silent, not
// trickling.
func (c *CountingConn) Trickling(began time.Time) bool {
	half := began.Add(time.Since(began) / 2)
	return c.lastRead.Load() > half.UnixNano()
}
