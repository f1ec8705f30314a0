package sock

import (
	"math"
	"net"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
)

// Socket options shared by TCP and UDP sockets, and TCP's keep-alive. Each
// setter runs as an Op (endpoint.setOpt), so that it takes effect at a fixed
// point of the run.

// bufferSize is the buffer size a setsockopt of SO_RCVBUF or SO_SNDBUF to
// bytes gives, as Linux (and gVisor's sentry) computes it: capped at max,
// doubled (the kernel keeps half for its bookkeeping), at least min.
func bufferSize(bytes int, min, max int64) int64 {
	n := min64(int64(bytes), max)
	if n < math.MaxInt32/2 {
		n *= 2
	} else {
		n = math.MaxInt32
	}
	if n < min {
		n = min
	}
	return n
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

// setReadBuffer sets SO_RCVBUF. A negative size is EINVAL.
func (e *endpoint) setReadBuffer(bytes int, opErr func(error) error) error {
	return e.setOpt("SetReadBuffer", opErr, func() tcpip.Error {
		if bytes < 0 {
			return &tcpip.ErrInvalidOptionValue{}
		}
		so := e.ep.SocketOptions()
		min, max := so.ReceiveBufferLimits()
		so.SetReceiveBufferSize(bufferSize(bytes, min, max), true)
		return nil
	})
}

// setWriteBuffer sets SO_SNDBUF and returns the size set. A negative size
// is EINVAL.
func (e *endpoint) setWriteBuffer(bytes int, opErr func(error) error, then func(int64)) error {
	return e.setOpt("SetWriteBuffer", opErr, func() tcpip.Error {
		if bytes < 0 {
			return &tcpip.ErrInvalidOptionValue{}
		}
		so := e.ep.SocketOptions()
		min, max := so.SendBufferLimits()
		n := bufferSize(bytes, min, max)
		so.SetSendBufferSize(n, true)
		if then != nil {
			then(n)
		}
		return nil
	})
}

// setTTL sets the IPv4 TTL and the IPv6 hop limit of the packets the
// socket sends (both: a dual-stack socket sends either). ttl is 1 to 255,
// or -1 for the stack's default (64). Anything else is EINVAL.
func (e *endpoint) setTTL(ttl int, opErr func(error) error) error {
	return e.setOpt("SetTTL", opErr, func() tcpip.Error {
		v4, v6 := ttl, ttl
		switch {
		case ttl == -1:
			v4, v6 = tcpip.UseDefaultIPv4TTL, tcpip.UseDefaultIPv6HopLimit
		case ttl < 1 || ttl > 255:
			return &tcpip.ErrInvalidOptionValue{}
		}
		if te := e.ep.SetSockOptInt(tcpip.IPv4TTLOption, v4); te != nil {
			return te
		}
		return e.ep.SetSockOptInt(tcpip.IPv6HopLimitOption, v6)
	})
}

// Package net's defaults for keep-alive (net.KeepAliveConfig's zero fields).
const (
	defaultKeepAliveIdle     = 15 * time.Second
	defaultKeepAliveInterval = 15 * time.Second
	defaultKeepAliveCount    = 9
)

// SetKeepAlive turns keep-alive probes on or off (SO_KEEPALIVE), as
// net.TCPConn.SetKeepAlive does. Unlike package net's Dial and Accept,
// netsim does not turn them on for every connection: an idle connection
// sends nothing unless asked to. The stack's defaults are Linux's: the
// first probe after 2 hours idle, then one every 75 s, 9 unanswered probes
// and the connection is reset; SetKeepAlivePeriod and SetKeepAliveConfig
// change them.
func (c *TCPConn) SetKeepAlive(keepalive bool) error {
	return c.setOpt("SetKeepAlive", c.setErr, func() tcpip.Error {
		c.ep.SocketOptions().SetKeepAlive(keepalive)
		return nil
	})
}

// beforeClose turns keep-alive off when the connection is closed. gVisor
// goes on sending probes from a closed endpoint, in FIN-WAIT and TIME-WAIT
// too, and the peer, long gone, answers them with RST; Linux sends none
// once the socket is closed (a TIME-WAIT socket has no keep-alive timer).
func (c *TCPConn) beforeClose() {
	if so := c.ep.SocketOptions(); so.GetKeepAlive() {
		so.SetKeepAlive(false)
	}
}

// SetKeepAlivePeriod sets how long the connection must be idle before the
// first keep-alive probe (TCP_KEEPIDLE), rounded up to a whole second, as
// net.TCPConn.SetKeepAlivePeriod does in current Go (older versions set
// the interval between unanswered probes too; SetKeepAliveConfig does). A probe
// that is answered counts as traffic, so on a live connection probes go
// out every d. Zero means 15 s, package net's default; negative leaves the
// setting unchanged.
func (c *TCPConn) SetKeepAlivePeriod(d time.Duration) error {
	return c.setOpt("SetKeepAlivePeriod", c.setErr, func() tcpip.Error {
		return c.setKeepAliveIdle(d)
	})
}

// SetKeepAliveConfig configures keep-alive probes as
// net.TCPConn.SetKeepAliveConfig does: Enable turns them on or off; Idle
// is the idle time before the first probe, Interval the time between
// unanswered probes (both rounded up to a whole second), Count how many
// unanswered probes reset the connection. A zero field means package net's
// default (15 s, 15 s, 9); a negative one leaves that setting unchanged.
func (c *TCPConn) SetKeepAliveConfig(config net.KeepAliveConfig) error {
	return c.setOpt("SetKeepAliveConfig", c.setErr, func() tcpip.Error {
		c.ep.SocketOptions().SetKeepAlive(config.Enable)
		if te := c.setKeepAliveIdle(config.Idle); te != nil {
			return te
		}
		if d := config.Interval; d >= 0 {
			if d == 0 {
				d = defaultKeepAliveInterval
			}
			opt := tcpip.KeepaliveIntervalOption(roundUpSecond(d))
			if te := c.ep.SetSockOpt(&opt); te != nil {
				return te
			}
		}
		if n := config.Count; n >= 0 {
			if n == 0 {
				n = defaultKeepAliveCount
			}
			if te := c.ep.SetSockOptInt(tcpip.KeepaliveCountOption, n); te != nil {
				return te
			}
		}
		return nil
	})
}

// setKeepAliveIdle sets TCP_KEEPIDLE as package net does: zero is the
// default, negative leaves it alone, others round up to a second.
func (c *TCPConn) setKeepAliveIdle(d time.Duration) tcpip.Error {
	if d < 0 {
		return nil
	}
	if d == 0 {
		d = defaultKeepAliveIdle
	}
	opt := tcpip.KeepaliveIdleOption(roundUpSecond(d))
	return c.ep.SetSockOpt(&opt)
}

// roundUpSecond rounds d up to a whole second, as package net does for the
// kernel, which takes seconds.
func roundUpSecond(d time.Duration) time.Duration {
	return (d + time.Second - 1) / time.Second * time.Second
}

// SetReadBuffer sets the size of the receive buffer (SO_RCVBUF), as
// net.TCPConn.SetReadBuffer does. As on Linux the stack reserves twice
// bytes, at least 4096, and advertises at most half of it as its window:
// SetReadBuffer(8192) gives a window of about 8 KiB, which the sender fills
// when the application does not read (a zero window). It also turns off
// the stack's receive-buffer auto-tuning for the connection.
func (c *TCPConn) SetReadBuffer(bytes int) error { return c.setReadBuffer(bytes, c.setErr) }

// SetWriteBuffer sets the size of the send buffer (SO_SNDBUF), as
// net.TCPConn.SetWriteBuffer does: twice bytes, as on Linux, at least
// 4096. Write blocks while it is full. It also turns off the stack's
// send-buffer auto-tuning for the connection.
func (c *TCPConn) SetWriteBuffer(bytes int) error {
	return c.setWriteBuffer(bytes, c.setErr, func(n int64) {
		// A test-mode Write buffers no more than the socket's send buffer.
		c.smu.Lock()
		c.sendLimit = int(min64(n, sendBufSize))
		c.smu.Unlock()
	})
}

// SetTTL sets the IPv4 TTL (or the IPv6 hop limit) of the packets the
// connection sends, as golang.org/x/net/ipv4's Conn.SetTTL does: 1 to 255,
// or -1 for the stack's default, 64. It is netsim's own: net.TCPConn has no
// such method.
func (c *TCPConn) SetTTL(ttl int) error { return c.setTTL(ttl, c.setErr) }

// SetReadBuffer sets the size of the receive buffer (SO_RCVBUF), as
// net.UDPConn.SetReadBuffer does: twice bytes, as on Linux, at least 4096.
// Datagrams that arrive while it is full are dropped.
func (c *UDPConn) SetReadBuffer(bytes int) error { return c.setReadBuffer(bytes, c.setErr) }

// SetWriteBuffer sets the size of the send buffer (SO_SNDBUF), as
// net.UDPConn.SetWriteBuffer does: twice bytes, as on Linux, at least 4096.
func (c *UDPConn) SetWriteBuffer(bytes int) error { return c.setWriteBuffer(bytes, c.setErr, nil) }

// SetTTL sets the IPv4 TTL (or the IPv6 hop limit) of the datagrams the
// socket sends: 1 to 255, or -1 for the stack's default, 64. It is netsim's
// own, as TCPConn.SetTTL.
func (c *UDPConn) SetTTL(ttl int) error { return c.setTTL(ttl, c.setErr) }

// setErr is the error of a failed setter, as package net makes it.
func (c *UDPConn) setErr(err error) error { return c.opErr("set", nil, err) }
