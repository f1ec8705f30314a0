package scenario

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"netsim.dev/netsim"
)

// runSock is one socket a program opened.
type runSock struct {
	prog *runProg
	name string
	kind sockKind
	ln   net.Listener
	conn net.Conn       // a TCP connection (after a tls step, the TLS one), or a connected UDP socket
	raw  net.Conn       // conn before a tls step wrapped it
	pc   net.PacketConn // a UDP socket
	// closed says a close or abort step closed it.
	closed bool
	// received counts the bytes received (runner.mu).
	received int64
	// lastSent and lastTo are the data a UDP socket last sent, and where
	// (nil: its connected peer), which recv's retries send again.
	lastSent []byte
	lastTo   net.Addr
}

// closer returns what closes the socket as a process exit would: the
// listener, the UDP socket or the TCP connection under any TLS.
func (k *runSock) closer() io.Closer {
	switch {
	case k.ln != nil:
		return k.ln
	case k.raw != nil:
		return k.raw
	case k.conn != nil:
		return k.conn
	}
	return k.pc
}

// runProg is one program of a run: its task runs the steps.
type runProg struct {
	r      *runner
	spec   *ProgramSpec
	index  int // in Scenario.Programs, from 0
	name   string
	host   *netsim.Host
	socks  map[string]*runSock
	opened []*runSock // in the order opened

	step atomic.Int64 // the step running, from 1; 0 before the first
	done atomic.Bool  // the task has ended
}

// position returns the step the program is in and whether it has ended.
func (p *runProg) position() (int, bool) { return int(p.step.Load()), p.done.Load() }

// run is the program's task: its steps in order, until one fails; then
// the sockets still open are closed, in the order opened, as a process
// exit closes them.
func (p *runProg) run() {
	defer p.done.Store(true)
	defer p.closeAll()
	if p.spec.Start > 0 {
		p.r.n.Sleep(p.spec.Start)
	}
	for i, st := range p.spec.Steps {
		p.step.Store(int64(i + 1))
		err := p.do(st)
		if st.ExpectError != "" {
			switch {
			case err == nil:
				err = fmt.Errorf("succeeded; want an error containing %q", st.ExpectError)
			case !strings.Contains(err.Error(), st.ExpectError):
				err = fmt.Errorf("%w; want an error containing %q", err, st.ExpectError)
			default:
				p.r.printf(p.name, "%s failed as expected: %v", st.Kind, err)
				err = nil
			}
		}
		if err != nil {
			p.r.fail(&StepError{File: p.r.s.File, Program: p.name, Index: i + 1, Step: st, Err: err})
			return
		}
	}
}

// closeAll closes the sockets still open, in the order opened; errors do
// not matter any more.
func (p *runProg) closeAll() {
	for _, k := range p.opened {
		if !k.closed {
			k.closed = true
			_ = k.closer().Close()
		}
	}
}

// open records a new socket, named as, or by default base, base2, ...
func (p *runProg) open(as, base string, k *runSock) *runSock {
	if as == "" {
		as = base
		for i := 2; p.socks[as] != nil; i++ {
			as = base + strconv.Itoa(i)
		}
	}
	k.prog, k.name = p, as
	p.socks[as] = k
	p.opened = append(p.opened, k)
	p.r.mu.Lock()
	p.r.socks = append(p.r.socks, k)
	p.r.mu.Unlock()
	return k
}

// find returns the socket a step acts on: the one named, or else the last
// opened of the kinds wanted that is still open (as Validate resolves a
// step's default socket).
func (p *runProg) find(name string, want ...sockKind) (*runSock, error) {
	ok := func(k *runSock) bool {
		for _, w := range want {
			if k.kind == w {
				return true
			}
		}
		return false
	}
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = w.String()
	}
	wanted := strings.Join(names, " or ")
	if name != "" {
		k := p.socks[name]
		if k == nil {
			return nil, fmt.Errorf("no socket %q (the program has opened %s)", name, p.sockNames())
		}
		if !ok(k) {
			return nil, fmt.Errorf("socket %q is %v; want %s", name, k.kind, wanted)
		}
		return k, nil
	}
	for i := len(p.opened) - 1; i >= 0; i-- {
		if k := p.opened[i]; ok(k) && !k.closed {
			return k, nil
		}
	}
	return nil, fmt.Errorf("no socket given and none open: want %s", wanted)
}

func (p *runProg) sockNames() string {
	if len(p.opened) == 0 {
		return "none"
	}
	var s []string
	for _, k := range p.opened {
		s = append(s, k.name)
	}
	return strings.Join(s, ", ")
}

// dialFromer is Host.DialFrom: a dial from a given local address.
type dialFromer interface {
	DialFrom(ctx context.Context, network, laddr, raddr string) (net.Conn, error)
}

// do runs one step.
func (p *runProg) do(st Step) error {
	n := p.r.n
	switch st.Kind {
	case StepListen:
		var ln net.Listener
		var err error
		if st.Backlog > 0 {
			ln, err = p.host.ListenBacklog("tcp", st.Addr, st.Backlog)
		} else {
			ln, err = p.host.Listen("tcp", st.Addr)
		}
		if err != nil {
			return err
		}
		p.open(st.As, "ln", &runSock{kind: sockListener, ln: ln})
		return nil

	case StepAccept:
		k, err := p.find(st.Sock, sockListener)
		if err != nil {
			return err
		}
		if st.Timeout > 0 {
			dl, ok := k.ln.(netsim.TCPListener)
			if !ok {
				return fmt.Errorf("accept with a timeout: the listener (%T) has no deadline", k.ln)
			}
			if err := dl.SetDeadline(n.Now().Add(st.Timeout)); err != nil {
				return err
			}
			defer dl.SetDeadline(time.Time{})
		}
		c, err := k.ln.Accept()
		if err != nil {
			return err
		}
		k = p.open(st.As, "conn", &runSock{kind: sockTCP, conn: c})
		p.r.printf(p.name, "%s: accepted %s -> %s", k.name, c.RemoteAddr(), c.LocalAddr())
		return nil

	case StepConnect:
		ctx := context.Background()
		if st.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = n.WithTimeout(ctx, st.Timeout)
			defer cancel()
		}
		var c net.Conn
		var err error
		if st.From != "" {
			df, ok := any(p.host).(dialFromer)
			if !ok {
				return errors.New("connect from a local address needs Host.DialFrom, which this netsim has not")
			}
			c, err = df.DialFrom(ctx, "tcp", st.From, st.To)
		} else {
			c, err = p.host.DialContext(ctx, "tcp", st.To)
		}
		if err != nil {
			return err
		}
		k := p.open(st.As, "conn", &runSock{kind: sockTCP, conn: c})
		p.r.printf(p.name, "%s: connected %s -> %s", k.name, c.LocalAddr(), c.RemoteAddr())
		return nil

	case StepBind:
		addr := st.Addr
		if addr == "" {
			addr = ":0"
		}
		if st.To != "" {
			df, ok := any(p.host).(dialFromer)
			if !ok {
				return errors.New("bind with to (a connected UDP socket) needs Host.DialFrom, which this netsim has not")
			}
			c, err := df.DialFrom(context.Background(), "udp", addr, st.To)
			if err != nil {
				return err
			}
			pc, ok := c.(net.PacketConn)
			if !ok {
				c.Close()
				return fmt.Errorf("DialFrom udp returned %T, not a net.PacketConn", c)
			}
			p.open(st.As, "udp", &runSock{kind: sockUDP, conn: c, pc: pc})
			return nil
		}
		pc, err := p.host.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		p.open(st.As, "udp", &runSock{kind: sockUDP, pc: pc})
		return nil

	case StepSend:
		return p.send(st)

	case StepRecv:
		return p.recv(st)

	case StepSleep:
		n.Sleep(st.For)
		return nil

	case StepShutdown:
		k, err := p.find(st.Sock, sockTCP)
		if err != nil {
			return err
		}
		cw, ok := k.conn.(interface{ CloseWrite() error })
		if !ok {
			return fmt.Errorf("%T has no CloseWrite", k.conn)
		}
		return cw.CloseWrite()

	case StepClose:
		k, err := p.find(st.Sock, sockTCP, sockUDP, sockListener)
		if err != nil {
			return err
		}
		k.closed = true
		switch {
		case k.ln != nil:
			return k.ln.Close()
		case k.conn != nil:
			return k.conn.Close()
		}
		return k.pc.Close()

	case StepAbort:
		k, err := p.find(st.Sock, sockTCP)
		if err != nil {
			return err
		}
		raw := k.conn
		if k.raw != nil {
			raw = k.raw
		}
		sl, ok := raw.(interface{ SetLinger(sec int) error })
		if !ok {
			return errors.New("abort needs SetLinger on the connection, which this netsim has not")
		}
		if err := sl.SetLinger(0); err != nil {
			return err
		}
		k.closed = true
		return raw.Close()

	case StepSet:
		return p.set(st)

	case StepTLS:
		return p.tls(st)

	case StepPrint:
		p.r.printf(p.name, "%s", st.Text)
		return nil
	}
	return fmt.Errorf("unknown step kind %q", st.Kind)
}

// send writes the step's data, Repeat times, Pause apart.
func (p *runProg) send(st Step) error {
	k, err := p.find(st.Sock, sockTCP, sockUDP)
	if err != nil {
		return err
	}
	if st.Data == nil {
		return errors.New("no data to send")
	}
	data, err := p.bytesOf(st.Data)
	if err != nil {
		return err
	}
	var to net.Addr
	if st.To != "" {
		if k.kind != sockUDP {
			return fmt.Errorf("to %s: only a UDP socket sends to an address; %s is connected", st.To, k.name)
		}
		if to, err = p.resolveUDP(st.To); err != nil {
			return err
		}
	} else if k.conn == nil {
		return fmt.Errorf("UDP socket %s is not connected: say where to send (to)", k.name)
	}
	repeat := max(st.Repeat, 1)
	sent := 0
	for i := 0; i < repeat; i++ {
		if i > 0 && st.Pause > 0 {
			p.r.n.Sleep(st.Pause)
		}
		var m int
		if to != nil {
			m, err = k.pc.WriteTo(data, to)
		} else {
			m, err = k.conn.Write(data)
		}
		sent += m
		if err != nil {
			return err
		}
	}
	if k.kind == sockUDP {
		k.lastSent, k.lastTo = data, to
	}
	dst := to
	if dst == nil {
		dst = k.conn.RemoteAddr()
	}
	if repeat > 1 {
		p.r.printf(p.name, "%s: sent %d bytes to %s in %d writes", k.name, sent, dst, repeat)
	} else {
		p.r.printf(p.name, "%s: sent %d bytes to %s", k.name, sent, dst)
	}
	return nil
}

// resolveUDP turns "HOST:PORT" or "IP:PORT" into a UDP address: a host's
// name stands for its first address (IPv4 first), "localhost" for
// 127.0.0.1 unless a host has that name.
func (p *runProg) resolveUDP(s string) (*net.UDPAddr, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return nil, err
	}
	pn, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%s: bad port %q", s, port)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		addrs, lerr := p.r.n.LookupHost(host)
		switch {
		case lerr == nil && len(addrs) > 0:
			ip = netip.MustParseAddr(addrs[0])
			for _, a := range addrs {
				if x := netip.MustParseAddr(a); x.Is4() {
					ip = x
					break
				}
			}
		case host == "localhost":
			ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		default:
			return nil, fmt.Errorf("%s: no host %q", s, host)
		}
	}
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(pn))), nil
}

// recv reads what the step says, counts it, compares it with the step's
// data and prints it.
func (p *runProg) recv(st Step) error {
	k, err := p.find(st.Sock, sockTCP, sockUDP)
	if err != nil {
		return err
	}
	if st.Timeout > 0 {
		var dl interface{ SetReadDeadline(time.Time) error } = k.pc
		if k.conn != nil {
			dl = k.conn
		}
		if err := dl.SetReadDeadline(p.r.n.Now().Add(st.Timeout)); err != nil {
			return err
		}
		defer dl.SetReadDeadline(time.Time{})
	}
	var want []byte
	if st.Data != nil {
		if want, err = p.bytesOf(st.Data); err != nil {
			return err
		}
	}
	// keep is how many received bytes are kept: all to compare, else
	// what the output shows.
	keep := int64(33)
	if want != nil {
		keep = int64(len(want)) + 1
	}
	var got []byte
	add := func(b []byte) {
		p.r.mu.Lock()
		k.received += int64(len(b))
		p.r.mu.Unlock()
		if room := keep - int64(len(got)); room > 0 {
			got = append(got, b[:min(int64(len(b)), room)]...)
		}
	}
	var total int64
	var from net.Addr
	if k.kind == sockUDP {
		buf := make([]byte, 65535)
		retries := 0
		for i := 0; i < max(st.Datagrams, 1); i++ {
			m, addr, err := k.pc.ReadFrom(buf)
			var ne net.Error
			if err != nil && retries < st.Retries && errors.As(err, &ne) && ne.Timeout() {
				// No datagram within the timeout: send the last data
				// again and wait another timeout for this one.
				if k.lastSent == nil {
					return fmt.Errorf("%w; retries: nothing was sent on %s to send again", err, k.name)
				}
				retries++
				if err := p.resend(k); err != nil {
					return err
				}
				p.r.printf(p.name, "%s: nothing within %v: sent %d bytes again (retry %d of %d)", k.name, st.Timeout, len(k.lastSent), retries, st.Retries)
				if err := k.pc.SetReadDeadline(p.r.n.Now().Add(st.Timeout)); err != nil {
					return err
				}
				i--
				continue
			}
			if err != nil {
				switch retries {
				case 0:
				case 1:
					return fmt.Errorf("%w (after 1 retry)", err)
				default:
					return fmt.Errorf("%w (after %d retries)", err, retries)
				}
				return err
			}
			add(buf[:m])
			total += int64(m)
			from = addr
		}
	} else {
		from = k.conn.RemoteAddr()
		limit := st.Bytes // 0: one read, or until EOF
		if limit == 0 && !st.UntilEOF && want != nil {
			limit = int64(len(want))
		}
		buf := make([]byte, 32<<10)
		for {
			b := buf
			if limit > 0 && limit-total < int64(len(b)) {
				b = b[:limit-total]
			}
			m, err := k.conn.Read(b)
			add(b[:m])
			total += int64(m)
			if err == io.EOF && st.UntilEOF {
				break
			}
			if err == io.EOF {
				if limit > 0 {
					return fmt.Errorf("EOF (the peer closed) after %d of %d bytes", total, limit)
				}
				return errors.New("EOF: the peer closed the connection")
			}
			if err != nil {
				return err
			}
			if (limit > 0 && total >= limit) || (limit == 0 && !st.UntilEOF) {
				break
			}
		}
	}
	switch {
	case total == 0 && st.UntilEOF:
		p.r.printf(p.name, "%s: received 0 bytes from %s: the peer closed at once", k.name, from)
	case total == 0:
		p.r.printf(p.name, "%s: received 0 bytes from %s", k.name, from)
	default:
		p.r.printf(p.name, "%s: received %d bytes from %s: %s", k.name, total, from, show(got[:min(int64(len(got)), total)]))
	}
	if want != nil {
		return compare(got, total, want)
	}
	return nil
}

// resend sends a UDP socket's last data again, where it went.
func (p *runProg) resend(k *runSock) error {
	if k.lastTo != nil {
		_, err := k.pc.WriteTo(k.lastSent, k.lastTo)
		return err
	}
	_, err := k.conn.Write(k.lastSent)
	return err
}

// bytesOf returns a data item's bytes: those Parse (or Validate) resolved,
// or, for random data under a seed that RunOptions overrides, or data
// not yet resolved (a Scenario built in Go and not validated), drawn or
// decoded now with the run's seed. The Scenario is not changed.
func (p *runProg) bytesOf(d *Data) ([]byte, error) {
	seed := p.r.s.Seed
	if p.r.o.Seed != nil {
		seed = *p.r.o.Seed
	}
	if d.Bytes != nil && (d.Random == nil || seed == p.r.s.Seed) {
		return d.Bytes, nil
	}
	c := *d
	if err := c.Resolve(seed, p.index, int(p.step.Load())-1); err != nil {
		return nil, err
	}
	if c.Bytes == nil && c.File != nil {
		return nil, fmt.Errorf("file %s not read: Parse or Scenario.Validate reads a data file", *c.File)
	}
	return c.Bytes, nil
}

// compare fails on the first byte where got (the first bytes of total
// received) differs from want.
func compare(got []byte, total int64, want []byte) error {
	for i := range want {
		if i >= len(got) {
			return fmt.Errorf("received %d bytes, want %d: %s", total, len(want), show(got))
		}
		if got[i] != want[i] {
			return fmt.Errorf("byte %d differs: received %#02x, want %#02x (received %d bytes, want %d)", i, got[i], want[i], total, len(want))
		}
	}
	if total != int64(len(want)) {
		return fmt.Errorf("received %d bytes, want %d: %s", total, len(want), show(got))
	}
	if !bytes.Equal(got[:len(want)], want) {
		return errors.New("received bytes differ") // unreachable: the loop compared them
	}
	return nil
}

// set applies socket options, through the methods netsim's sockets have.
func (p *runProg) set(st Step) error {
	k, err := p.find(st.Sock, sockTCP, sockUDP)
	if err != nil {
		return err
	}
	var s any = k.pc
	switch {
	case k.raw != nil:
		s = k.raw
	case k.conn != nil:
		s = k.conn
	}
	missing := func(m string) error {
		return fmt.Errorf("%s on %v needs %s, which this netsim has not", st.Kind, k.kind, m)
	}
	if st.NoDelay != nil {
		x, ok := s.(interface{ SetNoDelay(bool) error })
		if !ok {
			return missing("SetNoDelay")
		}
		if err := x.SetNoDelay(*st.NoDelay); err != nil {
			return err
		}
	}
	if st.ReadBuffer != nil {
		x, ok := s.(interface{ SetReadBuffer(int) error })
		if !ok {
			return missing("SetReadBuffer")
		}
		if err := x.SetReadBuffer(*st.ReadBuffer); err != nil {
			return err
		}
	}
	if st.WriteBuffer != nil {
		x, ok := s.(interface{ SetWriteBuffer(int) error })
		if !ok {
			return missing("SetWriteBuffer")
		}
		if err := x.SetWriteBuffer(*st.WriteBuffer); err != nil {
			return err
		}
	}
	if st.KeepAlive != nil {
		x, ok := s.(interface{ SetKeepAlive(bool) error })
		if !ok {
			return missing("SetKeepAlive")
		}
		if err := x.SetKeepAlive(*st.KeepAlive > 0); err != nil {
			return err
		}
		if *st.KeepAlive > 0 {
			y, ok := s.(interface{ SetKeepAlivePeriod(time.Duration) error })
			if !ok {
				return missing("SetKeepAlivePeriod")
			}
			if err := y.SetKeepAlivePeriod(*st.KeepAlive); err != nil {
				return err
			}
		}
	}
	if st.TTL != nil {
		x, ok := s.(interface{ SetTTL(int) error })
		if !ok {
			return missing("SetTTL")
		}
		if err := x.SetTTL(*st.TTL); err != nil {
			return err
		}
	}
	return nil
}

// tls runs a TLS 1.3 handshake on a connection, which then carries TLS:
// the configuration is tlsConfig's (seeded, so the bytes repeat), the
// session keys go into the capture (pcapng) from both ends.
func (p *runProg) tls(st Step) error {
	k, err := p.find(st.Sock, sockTCP)
	if err != nil {
		return err
	}
	if k.raw != nil {
		return fmt.Errorf("%s carries TLS already", k.name)
	}
	seed := p.r.s.Seed
	if p.r.o.Seed != nil {
		seed = *p.r.o.Seed
	}
	conn := fmt.Sprintf("%s/%d", p.name, p.step.Load())
	cfg, err := tlsConfig(st.Role, st.ServerName, st.ALPN, seed, conn, p.r.n.Now, p.r.keyLog)
	if err != nil {
		return err
	}
	var tc *tls.Conn
	if st.Role == "client" {
		tc = tls.Client(k.conn, cfg)
	} else {
		tc = tls.Server(k.conn, cfg)
	}
	// Handshake, not HandshakeContext: with a context crypto/tls starts a
	// goroutine to watch it, which a task must not.
	if err := tc.Handshake(); err != nil {
		return err
	}
	k.raw, k.conn = k.conn, tc
	cs := tc.ConnectionState()
	alpn := ""
	if cs.NegotiatedProtocol != "" {
		alpn = ", ALPN " + cs.NegotiatedProtocol
	}
	p.r.printf(p.name, "%s: %s handshake done: %s, server name %s%s", k.name, tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cfgName(st.ServerName), alpn)
	return nil
}

// cfgName is a TLS step's server name, or the default.
func cfgName(name string) string {
	if name == "" {
		return DefaultServerName
	}
	return name
}
