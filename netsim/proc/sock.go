package proc

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"netsim.dev/netsim"
)

// Linux's constants, as the shim sends them.
const (
	afInet  = 2
	afInet6 = 10

	sockStream = 1
	sockDgram  = 2

	msgOOB      = 0x1
	msgPeek     = 0x2
	msgDontWait = 0x40
	msgWaitAll  = 0x100
	msgNoSignal = 0x4000

	solSocket   = 1
	soReuseAddr = 2
	soType      = 3
	soError     = 4
	soBroadcast = 6
	soSndBuf    = 7
	soRcvBuf    = 8
	soKeepAlive = 9
	soLinger    = 13
	soReusePort = 15

	ipprotoIP   = 0
	ipTTL       = 2
	ipprotoTCP  = 6
	tcpNoDelay  = 1
	tcpKeepIdle = 4
	tcpKeepIntv = 5
	tcpKeepCnt  = 6
	ipprotoIPv6 = 41
	ipv6Hops    = 16
	ipv6V6Only  = 26
)

// firstFD is the first descriptor number a socket gets. Sockets live in
// netsim, not in the child's descriptor table: numbers far above the
// child's own keep os.close(sock.fileno()) from closing a real file.
const firstFD = 1000

// sock is one socket of a process.
type sock struct {
	fd     int
	family int
	typ    int
	laddr  string // the address bind gave ("" unbound)

	ln   netsim.TCPListener
	conn net.Conn       // a TCP connection, or a UDP socket connected by DialFrom
	pc   net.PacketConn // a bound UDP socket
	peer net.Addr       // connect on a bound UDP socket: the only peer

	peek     []byte      // data MSG_PEEK read, returned first by the next recv
	peekFrom net.Addr    // a UDP datagram's sender, for peek
	opts     map[int]int // setsockopt's values, by level<<16|opt
	nb       nbState     // a non-blocking connect (poll.go)
}

// String describes the socket for reports: "tcp 127.0.0.1:24000", "tcp
// 127.0.0.1:49152->127.0.0.1:24000".
func (s *sock) String() string {
	kind := "tcp"
	if s.typ == sockDgram {
		kind = "udp"
	}
	switch {
	case s.ln != nil:
		return kind + " " + s.ln.Addr().String()
	case s.conn != nil:
		return kind + " " + s.conn.LocalAddr().String() + "->" + s.conn.RemoteAddr().String()
	case s.pc != nil:
		return kind + " " + s.pc.LocalAddr().String()
	case s.laddr != "":
		return kind + " " + s.laddr + " (bound)"
	}
	return kind
}

// network returns the socket's network for netsim: "tcp4", "udp6"...
func (s *sock) network() string {
	n := "tcp"
	if s.typ == sockDgram {
		n = "udp"
	}
	if s.family == afInet6 {
		return n + "6"
	}
	return n + "4"
}

// close closes whatever the socket holds.
func (s *sock) close() error {
	var err error
	for _, c := range []io.Closer{s.ln, s.conn, s.pc} {
		if c != nil && !isNil(c) {
			if cerr := c.Close(); err == nil {
				err = cerr
			}
		}
	}
	s.ln, s.conn, s.pc = nil, nil, nil
	s.closePending()
	return err
}

// isNil reports whether c is a nil interface value of a typed nil.
func isNil(c io.Closer) bool {
	switch v := c.(type) {
	case netsim.TCPListener:
		return v == nil
	case net.Conn:
		return v == nil
	case net.PacketConn:
		return v == nil
	}
	return false
}

// sock returns the process's socket fd.
func (p *process) sock(fd int) (*sock, error) {
	s := p.socks[fd]
	if s == nil {
		return nil, syscall.EBADF
	}
	return s, nil
}

// addr joins a request's host and port.
func addr(req *Request) (string, error) {
	if req.Port < 0 || req.Port > 65535 {
		return "", &net.AddrError{Err: "port out of range", Addr: strconv.Itoa(req.Port)}
	}
	return net.JoinHostPort(req.Host, strconv.Itoa(req.Port)), nil
}

// pyAddr returns a net.Addr as the shim wants it: [host, port], the host
// "" for an unspecified address (the shim writes 0.0.0.0 or ::).
func pyAddr(a net.Addr) []any {
	if a == nil {
		return nil
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return []any{a.String(), 0}
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		host = ""
	}
	k, _ := strconv.Atoi(port)
	return []any{host, k}
}

// unbound is getsockname's address of a socket not bound yet.
func (s *sock) unbound() []any {
	if s.family == afInet6 {
		return []any{"::", 0}
	}
	return []any{"0.0.0.0", 0}
}

// applyOpts sets the options set before a connection existed (or on its
// listener) on c.
func (s *sock) applyOpts(c net.Conn) {
	for k, v := range s.opts {
		applyOpt(c, k>>16, k&0xffff, v)
	}
}

// applyOpt sets one option on a connection or UDP socket.
func applyOpt(c any, level, opt, v int) error {
	type setter = interface {
		SetReadBuffer(int) error
		SetWriteBuffer(int) error
		SetTTL(int) error
	}
	switch level<<16 | opt {
	case solSocket<<16 | soRcvBuf:
		if c, ok := c.(setter); ok {
			return c.SetReadBuffer(v)
		}
	case solSocket<<16 | soSndBuf:
		if c, ok := c.(setter); ok {
			return c.SetWriteBuffer(v)
		}
	case ipprotoIP<<16 | ipTTL, ipprotoIPv6<<16 | ipv6Hops:
		if c, ok := c.(setter); ok {
			return c.SetTTL(v)
		}
	case solSocket<<16 | soKeepAlive:
		if c, ok := c.(netsim.TCPConn); ok {
			return c.SetKeepAlive(v != 0)
		}
	case ipprotoTCP<<16 | tcpNoDelay:
		if c, ok := c.(netsim.TCPConn); ok {
			return c.SetNoDelay(v != 0)
		}
	case ipprotoTCP<<16 | tcpKeepIdle:
		if c, ok := c.(netsim.TCPConn); ok {
			return c.SetKeepAlivePeriod(time.Duration(v) * time.Second)
		}
	case solSocket<<16 | soLinger:
		if c, ok := c.(netsim.TCPConn); ok {
			return c.SetLinger(v)
		}
	}
	return nil
}

// supportedOpt reports whether netsim supports (level, opt): applied, or
// accepted and recorded.
func supportedOpt(level, opt int) bool {
	switch level<<16 | opt {
	case solSocket<<16 | soReuseAddr, solSocket<<16 | soReusePort, solSocket<<16 | soBroadcast,
		solSocket<<16 | soRcvBuf, solSocket<<16 | soSndBuf, solSocket<<16 | soKeepAlive,
		solSocket<<16 | soLinger,
		ipprotoTCP<<16 | tcpNoDelay, ipprotoTCP<<16 | tcpKeepIdle, ipprotoTCP<<16 | tcpKeepIntv,
		ipprotoTCP<<16 | tcpKeepCnt,
		ipprotoIP<<16 | ipTTL, ipprotoIPv6<<16 | ipv6Hops, ipprotoIPv6<<16 | ipv6V6Only:
		return true
	}
	return false
}

// conn returns the socket's stream, or ENOTCONN.
func (s *sock) stream() (net.Conn, error) {
	if s.settle() {
		return nil, syscall.EAGAIN // a non-blocking connect in progress
	}
	if s.conn == nil {
		return nil, syscall.ENOTCONN
	}
	return s.conn, nil
}

func init() {
	register("socket", func(p *process, req *Request) (*Reply, error) {
		if req.Family != afInet && req.Family != afInet6 {
			return nil, errUnsupported("netsim exec: socket family %d is not supported (AF_INET and AF_INET6 are)", req.Family)
		}
		if req.Type != sockStream && req.Type != sockDgram {
			return nil, errUnsupported("netsim exec: socket type %d is not supported (SOCK_STREAM and SOCK_DGRAM are)", req.Type)
		}
		fd := firstFD
		for p.socks[fd] != nil {
			fd++
		}
		p.socks[fd] = &sock{fd: fd, family: req.Family, typ: req.Type, opts: map[int]int{}}
		return &Reply{Value: fd}, nil
	})
	register("close", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		delete(p.socks, req.FD)
		s.close()
		return nil, nil
	})
	register("bind", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		if s.laddr != "" || s.conn != nil || s.ln != nil || s.pc != nil {
			return nil, syscall.EINVAL
		}
		a, err := addr(req)
		if err != nil {
			return nil, err
		}
		if s.typ == sockDgram {
			// A UDP socket receives from the moment it is bound.
			pc, err := p.host.ListenPacket(s.network(), a)
			if err != nil {
				return nil, err
			}
			s.pc = pc
			for k, v := range s.opts {
				applyOpt(pc, k>>16, k&0xffff, v)
			}
		}
		s.laddr = a
		return nil, nil
	})
	register("listen", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		if s.typ != sockStream || s.conn != nil {
			return nil, syscall.EOPNOTSUPP
		}
		if s.ln != nil {
			return nil, nil // listen again: Linux changes the backlog
		}
		a := s.laddr
		if a == "" {
			a = ":0"
		}
		// Linux's accept queue holds backlog+1 connections, gVisor's backlog.
		backlog := min(max(req.N, 0)+1, 65535)
		ln, err := p.host.ListenBacklog(s.network(), a, backlog)
		if err != nil {
			return nil, err
		}
		s.ln = ln.(netsim.TCPListener)
		return nil, nil
	})
	register("accept", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		if s.ln == nil {
			return nil, syscall.EINVAL
		}
		c, err := acceptConn(p, s, req)
		if err != nil {
			return nil, err
		}
		fd := firstFD
		for p.socks[fd] != nil {
			fd++
		}
		ns := &sock{fd: fd, family: s.family, typ: s.typ, conn: c, opts: map[int]int{}}
		for k, v := range s.opts {
			ns.opts[k] = v
		}
		ns.applyOpts(c)
		p.socks[fd] = ns
		return &Reply{Value: []any{fd, pyAddr(c.RemoteAddr())}}, nil
	})
	register("connect", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		raddr, err := addr(req)
		if err != nil {
			return nil, err
		}
		if handled, err := p.connectNB(s, req, raddr); handled {
			return nil, err
		}
		if s.conn != nil || s.ln != nil {
			return nil, syscall.EISCONN
		}
		if s.pc != nil {
			// A bound UDP socket: the peer filters what it receives.
			ua, err := resolveUDP(p, s, raddr)
			if err != nil {
				return nil, err
			}
			s.peer = ua
			return nil, nil
		}
		ctx, cancel := p.context(req)
		defer cancel()
		c, err := p.host.DialFrom(ctx, s.network(), s.laddr, raddr)
		if err != nil {
			return nil, err
		}
		s.conn = c
		s.applyOpts(c)
		return nil, nil
	})
	register("send", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		if req.Flags&^(msgNoSignal|msgDontWait) != 0 {
			return nil, errUnsupported("netsim exec: send flags %#x are not supported", req.Flags)
		}
		if s.pc != nil && s.peer != nil {
			s.pc.SetWriteDeadline(p.deadline(req))
			k, err := writeTo(s.pc, req.Data, s.peer, req)
			return &Reply{Value: k}, err
		}
		c, err := s.stream()
		if err != nil {
			if s.typ == sockDgram {
				return nil, syscall.EDESTADDRREQ
			}
			return nil, err
		}
		c.SetWriteDeadline(p.deadline(req))
		k, err := write(c, req)
		if err != nil && k > 0 {
			err = nil // the bytes that went are the call's result
		}
		return &Reply{Value: k}, err
	})
	register("sendto", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		if s.typ != sockDgram {
			return nil, syscall.EISCONN
		}
		a, err := addr(req)
		if err != nil {
			return nil, err
		}
		if s.conn != nil {
			return nil, syscall.EISCONN
		}
		if s.pc == nil {
			// sendto on an unbound socket binds it to an ephemeral port.
			pc, err := p.host.ListenPacket(s.network(), ":0")
			if err != nil {
				return nil, err
			}
			s.pc, s.laddr = pc, pc.LocalAddr().String()
		}
		ua, err := resolveUDP(p, s, a)
		if err != nil {
			return nil, err
		}
		s.pc.SetWriteDeadline(p.deadline(req))
		k, err := writeTo(s.pc, req.Data, ua, req)
		return &Reply{Value: k}, err
	})
	register("recv", recv)
	register("recvfrom", recv)
	register("shutdown", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		tc, ok := s.conn.(netsim.TCPConn)
		if !ok {
			return nil, syscall.ENOTCONN
		}
		if req.How == 0 || req.How == 2 {
			if err := tc.CloseRead(); err != nil {
				return nil, err
			}
		}
		if req.How == 1 || req.How == 2 {
			return nil, tc.CloseWrite()
		}
		return nil, nil
	})
	register("setsockopt", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		if !supportedOpt(req.Level, req.Opt) {
			return nil, syscall.ENOPROTOOPT
		}
		v := req.Value
		if req.Level == solSocket && req.Opt == soLinger {
			// struct linger {int l_onoff; int l_linger;}: -1 when off.
			if len(req.Data) < 8 {
				return nil, syscall.EINVAL
			}
			v = -1
			if binary.NativeEndian.Uint32(req.Data) != 0 {
				v = int(int32(binary.NativeEndian.Uint32(req.Data[4:])))
			}
		}
		s.opts[req.Level<<16|req.Opt] = v
		var target any
		switch {
		case s.conn != nil:
			target = s.conn
		case s.pc != nil:
			target = s.pc
		}
		if target != nil {
			return nil, applyOpt(target, req.Level, req.Opt, v)
		}
		return nil, nil
	})
	register("getsockopt", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		switch {
		case req.Level == solSocket && req.Opt == soType:
			return &Reply{Value: s.typ}, nil
		case req.Level == solSocket && req.Opt == soError:
			return &Reply{Value: s.soError()}, nil
		case !supportedOpt(req.Level, req.Opt):
			return nil, syscall.ENOPROTOOPT
		}
		v, ok := s.opts[req.Level<<16|req.Opt]
		if !ok {
			v = defaultOpt(req.Level, req.Opt)
		}
		return &Reply{Value: v}, nil
	})
	register("getsockname", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		switch {
		case s.nb.pending != nil:
			return &Reply{Value: pyAddr(s.nb.pending.LocalAddr())}, nil
		case s.ln != nil:
			return &Reply{Value: pyAddr(s.ln.Addr())}, nil
		case s.conn != nil:
			return &Reply{Value: pyAddr(s.conn.LocalAddr())}, nil
		case s.pc != nil:
			return &Reply{Value: pyAddr(s.pc.LocalAddr())}, nil
		case s.laddr != "":
			ap, err := netip.ParseAddrPort(s.laddr)
			if err == nil {
				return &Reply{Value: []any{ap.Addr().String(), int(ap.Port())}}, nil
			}
			host, port, _ := net.SplitHostPort(s.laddr)
			k, _ := strconv.Atoi(port)
			if host == "" {
				host = s.unbound()[0].(string)
			}
			return &Reply{Value: []any{host, k}}, nil
		}
		return &Reply{Value: s.unbound()}, nil
	})
	register("getpeername", func(p *process, req *Request) (*Reply, error) {
		s, err := p.sock(req.FD)
		if err != nil {
			return nil, err
		}
		s.settle()
		switch {
		case s.conn != nil:
			return &Reply{Value: pyAddr(s.conn.RemoteAddr())}, nil
		case s.peer != nil:
			return &Reply{Value: pyAddr(s.peer)}, nil
		}
		return nil, syscall.ENOTCONN
	})
	register("getaddrinfo", func(p *process, req *Request) (*Reply, error) {
		return &Reply{Value: lookup(p, req.Host)}, nil
	})
}

// defaultOpt is an option's value before setsockopt.
func defaultOpt(level, opt int) int {
	switch level<<16 | opt {
	case solSocket<<16 | soRcvBuf:
		return 131072
	case solSocket<<16 | soSndBuf:
		return 16384
	case ipprotoIP<<16 | ipTTL, ipprotoIPv6<<16 | ipv6Hops:
		return 64
	}
	return 0
}

// lookup answers a name from the simulated network: an address as it is,
// "localhost" the loopback's, a host's name its addresses. Unknown: none.
func lookup(p *process, name string) []string {
	switch name {
	case "", "localhost", "localhost.localdomain", "ip6-localhost":
		return []string{"127.0.0.1", "::1"}
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return []string{a.String()}
	}
	if name == p.host.Name() {
		addrs := []string{}
		for _, a := range p.host.Addrs() {
			addrs = append(addrs, a.String())
		}
		if len(addrs) == 0 {
			addrs = []string{"127.0.0.1", "::1"}
		}
		return addrs
	}
	addrs, err := p.r.n.LookupHost(name)
	if err != nil {
		return []string{}
	}
	return addrs
}

// resolveUDP resolves a UDP destination within the network, in the
// socket's family.
func resolveUDP(p *process, s *sock, a string) (*net.UDPAddr, error) {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return nil, err
	}
	k, _ := strconv.Atoi(port)
	for _, h := range lookup(p, host) {
		ip, err := netip.ParseAddr(h)
		if err != nil || ip.Is4() != (s.family == afInet) {
			continue
		}
		return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(k))), nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// recv serves recv, recv_into and recvfrom: up to N bytes, all N with
// MSG_WAITALL (or until the end of the stream), without consuming them
// with MSG_PEEK. The reply's value is the sender's address.
func recv(p *process, req *Request) (*Reply, error) {
	s, err := p.sock(req.FD)
	if err != nil {
		return nil, err
	}
	if req.Flags&^(msgPeek|msgWaitAll|msgNoSignal|msgDontWait) != 0 {
		if req.Flags&msgOOB != 0 {
			return nil, errUnsupported("netsim exec: MSG_OOB (urgent data) is not supported")
		}
		return nil, errUnsupported("netsim exec: recv flags %#x are not supported (MSG_PEEK and MSG_WAITALL are)", req.Flags)
	}
	if req.N < 0 {
		return nil, syscall.EINVAL
	}
	size := min(req.N, MaxData)
	if s.typ == sockDgram {
		return recvDatagram(p, s, req, size)
	}
	c, err := s.stream()
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return &Reply{Data: []byte{}}, nil
	}
	c.SetReadDeadline(p.deadline(req))
	defer c.SetReadDeadline(time.Time{})
	var got []byte
	if len(s.peek) > 0 {
		got = append(got, s.peek[:min(size, len(s.peek))]...)
		if req.Flags&msgPeek == 0 {
			s.peek = s.peek[len(got):]
		}
	}
	buf := make([]byte, size)
	for len(got) == 0 || (req.Flags&msgWaitAll != 0 && req.Flags&msgPeek == 0 && len(got) < size) {
		k, err := read(c, buf[:size-len(got)], req)
		got = append(got, buf[:k]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(got) > 0 && !errors.Is(err, net.ErrClosed) {
				break // what came is the result; the error comes next time
			}
			return nil, err
		}
		if req.Flags&msgPeek != 0 {
			s.peek = append(s.peek, buf[:k]...)
			break
		}
	}
	return &Reply{Value: pyAddr(c.RemoteAddr()), Data: got}, nil
}

// recvDatagram receives one datagram of up to size bytes (the rest of a
// longer one is lost, as on Linux), from the connected peer only when
// connect set one.
func recvDatagram(p *process, s *sock, req *Request, size int) (*Reply, error) {
	type reader interface {
		ReadFrom([]byte) (int, net.Addr, error)
		SetReadDeadline(time.Time) error
	}
	var r reader
	switch {
	case s.pc != nil:
		r = s.pc
	case s.conn != nil:
		r = s.conn.(netsim.UDPConn)
	default:
		// recv on an unbound UDP socket waits for ever on Linux: netsim
		// reports it as a deadlock, so it binds it to nothing reachable.
		pc, err := p.host.ListenPacket(s.network(), ":0")
		if err != nil {
			return nil, err
		}
		s.pc, s.laddr, r = pc, pc.LocalAddr().String(), pc
	}
	r.SetReadDeadline(p.deadline(req))
	defer r.SetReadDeadline(time.Time{})
	if len(s.peek) > 0 {
		d := s.peek
		if req.Flags&msgPeek == 0 {
			s.peek = nil
		}
		return &Reply{Value: pyAddr(s.peekFrom), Data: d[:min(len(d), size)]}, nil
	}
	buf := make([]byte, max(size, 65536))
	for {
		k, from, err := readFrom(r, buf, req)
		if err != nil {
			return nil, err
		}
		if s.peer != nil && from.String() != s.peer.String() {
			continue // not from the connected peer: dropped, as Linux does
		}
		if req.Flags&msgPeek != 0 {
			s.peek, s.peekFrom = append([]byte(nil), buf[:k]...), from
		}
		return &Reply{Value: pyAddr(from), Data: buf[:min(k, size)]}, nil
	}
}
