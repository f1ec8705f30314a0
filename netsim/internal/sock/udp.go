package sock

import (
	"bytes"
	"net"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	"netsim.dev/netsim/internal/sim"
)

// UDPConn is a UDP socket: a net.PacketConn, and a net.Conn once connected.
type UDPConn struct {
	endpoint
	laddr, raddr *net.UDPAddr
}

var (
	_ net.PacketConn = (*UDPConn)(nil)
	_ net.Conn       = (*UDPConn)(nil)
)

// ListenUDP binds a UDP socket to laddr and, when raddr is non-zero, connects
// it to raddr.
func ListenUDP(env *Env, proto tcpip.NetworkProtocolNumber, laddr, raddr tcpip.FullAddress) (*UDPConn, error) {
	c := &UDPConn{}
	var err error
	op := "listen"
	if raddr != (tcpip.FullAddress{}) {
		op = "dial"
	}
	if raddr != (tcpip.FullAddress{}) {
		c.key = env.name("dial", "udp", fullToUDP(raddr).String())
	} else {
		c.key = env.name("listen", "udp", fullToUDP(laddr).String())
	}
	c.env = env
	setup := sim.Call{Op: "bind", Local: fullToUDP(laddr).String()}
	if raddr != (tcpip.FullAddress{}) {
		setup = sim.Call{Op: "connect", Remote: fullToUDP(raddr).String()}
	}
	ok := c.doSetupCall(setup, func() {
		var wq waiter.Queue
		ep, e := env.Stack.NewEndpoint(udp.ProtocolNumber, proto, &wq)
		if e != nil {
			err = sysErr("socket", e)
			return
		}
		if proto == header.IPv6ProtocolNumber {
			ep.SocketOptions().SetV6Only(false)
		}
		if laddr != (tcpip.FullAddress{}) || raddr == (tcpip.FullAddress{}) {
			if e := ep.Bind(laddr); e != nil {
				ep.Close()
				err = sysErr("bind", e)
				return
			}
		}
		if raddr != (tcpip.FullAddress{}) {
			if e := ep.Connect(raddr); e != nil {
				ep.Close()
				err = sysErr("connect", e)
				return
			}
			c.raddr = fullToUDP(raddr)
		}
		c.init(env, ep, &wq)
		if a, e := ep.GetLocalAddress(); e == nil {
			c.laddr = fullToUDP(a)
		}
	})
	if !ok {
		err = env.Sim.CallErr()
	}
	if err != nil {
		if op == "dial" {
			oe := &net.OpError{Op: op, Net: "udp", Addr: fullToUDP(raddr), Err: err}
			if laddr != (tcpip.FullAddress{}) {
				oe.Source = fullToUDP(laddr)
			}
			return nil, oe
		}
		return nil, &net.OpError{Op: op, Net: "udp", Addr: fullToUDP(laddr), Err: err}
	}
	return c, nil
}

func (c *UDPConn) opErr(op string, addr net.Addr, err error) error {
	if addr == nil && c.raddr != nil {
		addr = c.raddr
	}
	return &net.OpError{Op: op, Net: "udp", Source: c.laddr, Addr: addr, Err: err}
}

// ReadFrom implements net.PacketConn: it reads one datagram. A datagram
// longer than b is truncated, as with package net.
func (c *UDPConn) ReadFrom(b []byte) (int, net.Addr, error) { return c.readFrom(b, "recvfrom", false) }

// TryReadFrom is ReadFrom that never waits: with no datagram queued it
// fails with ErrWouldBlock, as a non-blocking recvfrom(2) fails with
// EAGAIN. It ignores the read deadline.
func (c *UDPConn) TryReadFrom(b []byte) (int, net.Addr, error) {
	return c.readFrom(b, "recvfrom", true)
}

// TryRead is Read that never waits (see TryReadFrom).
func (c *UDPConn) TryRead(b []byte) (int, error) {
	n, _, err := c.readFrom(b, "read", true)
	return n, err
}

// readFrom reads one datagram; call names the system call in errors, as
// package net does ("read" for Read, "recvfrom" for ReadFrom). With
// nonblock set it fails with ErrWouldBlock instead of waiting.
func (c *UDPConn) readFrom(b []byte, call string, nonblock bool) (int, net.Addr, error) {
	if c.userClosed.Load() {
		return 0, nil, c.opErr("read", nil, net.ErrClosed)
	}
	var n int
	var from net.Addr
	var err error
	rcall := callOf("ReadFrom", c, 0)
	rcall.Op = call
	dl := c.readDL
	if nonblock {
		dl = nil
	}
	ok := c.doCall(kindRead, rcall, "ReadFrom", c, dl, func() bool {
		switch {
		case c.gone():
			err = c.opErr("read", nil, net.ErrClosed)
		case len(b) == 0 && call == "read":
			// As package net: a Read into an empty buffer returns 0,
			// nil at once and leaves the datagrams queued.
		case !nonblock && c.expired(c.readDL()):
			err = c.opErr("read", nil, timeoutError)
		default:
			w := tcpip.SliceWriter(b)
			res, e := c.ep.Read(&w, tcpip.ReadOptions{NeedRemoteAddr: true})
			if _, bad := e.(*tcpip.ErrBadBuffer); bad && len(b) == 0 {
				// A ReadFrom into an empty buffer took a datagram
				// and copied none of it: recvfrom(2) returns 0.
				e = nil
			}
			switch e.(type) {
			case nil:
				n = res.Count
				from = fullToUDP(res.RemoteAddr)
			case *tcpip.ErrWouldBlock:
				if nonblock {
					err = c.opErr("read", nil, ErrWouldBlock)
				}
				return nonblock
			default:
				err = c.opErr("read", nil, sysErr(call, e))
			}
		}
		return true
	})
	if !ok {
		return 0, nil, c.opErr("read", nil, c.env.Sim.CallErr())
	}
	return n, from, err
}

// Read implements net.Conn on a connected socket. After an ICMP port
// unreachable from the peer it fails once with syscall.ECONNREFUSED, as on
// Linux. As in package net, a Read into an empty buffer returns 0, nil at
// once and leaves the datagrams queued (ReadFrom takes one).
func (c *UDPConn) Read(b []byte) (int, error) {
	n, _, err := c.readFrom(b, "read", false)
	return n, err
}

// WriteTo implements net.PacketConn: it sends b as one datagram to addr.
// On a connected socket it fails with net.ErrWriteToConnected, as in
// package net.
func (c *UDPConn) WriteTo(b []byte, addr net.Addr) (int, error) { return c.writeTo(b, addr, false) }

// TryWriteTo is WriteTo that never waits: if the datagram cannot be sent
// now it fails with ErrWouldBlock, as a non-blocking sendto(2) fails with
// EAGAIN. It ignores the write deadline.
func (c *UDPConn) TryWriteTo(b []byte, addr net.Addr) (int, error) { return c.writeTo(b, addr, true) }

// TryWrite is Write that never waits (see TryWriteTo).
func (c *UDPConn) TryWrite(b []byte) (int, error) { return c.write(b, nil, nil, true) }

func (c *UDPConn) writeTo(b []byte, addr net.Addr, nonblock bool) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		// As package net: EINVAL, with the address given (or none).
		return 0, &net.OpError{Op: "write", Net: "udp", Source: c.laddr, Addr: addr, Err: syscall.EINVAL}
	}
	if c.raddr != nil {
		// As package net, after Close too.
		return 0, &net.OpError{Op: "write", Net: "udp", Source: c.laddr, Addr: addr, Err: net.ErrWriteToConnected}
	}
	to := tcpip.FullAddress{Port: uint16(ua.Port)}
	if ip4 := ua.IP.To4(); ip4 != nil {
		to.Addr = tcpip.AddrFrom4Slice(ip4)
	} else {
		to.Addr = tcpip.AddrFrom16Slice(ua.IP.To16())
	}
	return c.write(b, &to, addr, nonblock)
}

// Write implements net.Conn on a connected socket.
func (c *UDPConn) Write(b []byte) (int, error) { return c.write(b, nil, nil, false) }

func (c *UDPConn) write(b []byte, to *tcpip.FullAddress, addr net.Addr, nonblock bool) (int, error) {
	if c.userClosed.Load() {
		return 0, c.opErr("write", addr, net.ErrClosed)
	}
	var n int
	var err error
	var r bytes.Reader
	wcall := callOf("WriteTo", c, len(b))
	if to == nil {
		wcall.Op = "write"
	} else if addr != nil {
		wcall.Remote = addr.String()
	}
	dl := c.writeDL
	if nonblock {
		dl = nil
	}
	ok := c.doCall(kindWrite, wcall, "WriteTo", c, dl, func() bool {
		switch {
		case c.gone():
			err = c.opErr("write", addr, net.ErrClosed)
		case !nonblock && c.expired(c.writeDL()):
			err = c.opErr("write", addr, timeoutError)
		default:
			r.Reset(b)
			m, e := c.ep.Write(&r, tcpip.WriteOptions{To: to})
			switch e.(type) {
			case nil:
				n = int(m)
			case *tcpip.ErrWouldBlock:
				if nonblock {
					err = c.opErr("write", addr, ErrWouldBlock)
				}
				return nonblock
			default:
				call := "sendto"
				if to == nil {
					call = "write" // as package net names Write's call
				}
				err = c.opErr("write", addr, sysErr(call, e))
			}
		}
		return true
	})
	if !ok {
		return 0, c.opErr("write", addr, c.env.Sim.CallErr())
	}
	return n, err
}

// Close implements net.PacketConn.
func (c *UDPConn) Close() error {
	return c.closeSocket("Close", c, nil, func() error { return c.opErr("close", nil, net.ErrClosed) })
}

// CallAddrs implements [sim.Addresser]: the socket's addresses, for
// explanations.
func (c *UDPConn) CallAddrs() (local, remote string) {
	return addrString(c.laddr), addrString(c.raddr)
}

// LocalAddr implements net.PacketConn.
func (c *UDPConn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr implements net.Conn: the connected peer, or nil.
func (c *UDPConn) RemoteAddr() net.Addr {
	if c.raddr == nil {
		return nil
	}
	return c.raddr
}

// SetDeadline implements net.PacketConn, on the virtual clock.
func (c *UDPConn) SetDeadline(t time.Time) error { return c.deadline(true, true, t) }

// SetReadDeadline implements net.PacketConn, on the virtual clock.
func (c *UDPConn) SetReadDeadline(t time.Time) error { return c.deadline(true, false, t) }

// SetWriteDeadline implements net.PacketConn, on the virtual clock.
func (c *UDPConn) SetWriteDeadline(t time.Time) error { return c.deadline(false, true, t) }

// deadline is the deadline setters: after Close they fail as package
// net's do.
func (c *UDPConn) deadline(read, write bool, t time.Time) error {
	if c.setDeadline(read, write, t) {
		return &net.OpError{Op: "set", Net: "udp", Addr: c.laddr, Err: net.ErrClosed}
	}
	return nil
}

// Describe implements sim.Describer: the socket, for a deadlock report.
func (c *UDPConn) Describe() string { return "udp " + c.laddr.String() }
