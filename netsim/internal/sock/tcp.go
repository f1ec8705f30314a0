package sock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"

	"netsim.dev/netsim/internal/sim"
)

// TCPConn is a TCP connection: a net.Conn with CloseWrite and CloseRead.
type TCPConn struct {
	endpoint
	laddr, raddr *net.TCPAddr

	// In test mode a Write that fits in the send buffer returns at once,
	// as with a kernel socket; the driver hands the bytes to the stack.
	smu      sync.Mutex
	sendBuf  []byte
	flushing bool  // a flush Op is queued or parked
	sendErr  error // why a flush failed, for the next Write
	// sendLimit, if not zero, replaces sendBufSize (SetWriteBuffer).
	sendLimit int

	// sendClosed is set, on the driver, once CloseWrite has shut the
	// sending side or a Read has reported the connection's error (a
	// reset, a timeout): Writes then fail with EPIPE, as on Linux. (A
	// test-mode Write, which only buffers, took the bytes.)
	sendClosed atomic.Bool
}

// errPipe is the error of a Write on a connection that can send no more.
func (c *TCPConn) errPipe() error {
	return c.opErr("write", os.NewSyscallError("write", syscall.EPIPE))
}

// sendBufSize is how many bytes a test-mode Write buffers before it blocks.
const sendBufSize = 256 << 10

// sendBufLimit is how many bytes a test-mode Write buffers (c.smu held).
func (c *TCPConn) sendBufLimit() int {
	if c.sendLimit > 0 {
		return c.sendLimit
	}
	return sendBufSize
}

// bufferWrite is the test-mode Write: it buffers b and reports ok if b fits.
// With partial set (TryWrite) it buffers what fits, ignores the deadline,
// and fails with ErrWouldBlock if nothing fits.
func (c *TCPConn) bufferWrite(b []byte, partial bool) (n int, ok bool, err error) {
	c.smu.Lock()
	defer c.smu.Unlock()
	switch {
	case c.userClosed.Load():
		return 0, true, c.opErr("write", net.ErrClosed)
	case c.sendClosed.Load() && (partial || !c.expired(c.writeDL())):
		// (A deadline that has passed comes first, as in package net.)
		return 0, true, c.errPipe()
	case c.sendErr != nil:
		return 0, true, c.sendErr
	case partial:
		room := c.sendBufLimit() - len(c.sendBuf)
		if room <= 0 && len(b) > 0 {
			return 0, true, c.opErr("write", ErrWouldBlock)
		}
		b = b[:min(len(b), max(room, 0))]
	case c.expired(c.writeDL()):
		return 0, true, c.opErr("write", timeoutError)
	case len(c.sendBuf)+len(b) > c.sendBufLimit():
		return 0, false, nil
	}
	c.sendBuf = append(c.sendBuf, b...)
	if !c.flushing {
		c.flushing = true
		c.doAsyncCall(kindWrite, callOf("Flush", c, len(b)), "Flush", c, c.flush)
	}
	return len(b), true, nil
}

// flush hands buffered bytes to the stack, on the driver. It reports
// whether the buffer is empty (or the bytes can never be sent).
func (c *TCPConn) flush() bool {
	c.smu.Lock()
	data := c.sendBuf
	c.smu.Unlock()
	if len(data) == 0 {
		c.smu.Lock()
		c.flushing = false
		c.smu.Unlock()
		return true
	}
	written := 0
	var werr error
	var r bytes.Reader
	for written < len(data) && werr == nil {
		if c.gone() {
			werr = c.opErr("write", net.ErrClosed)
			break
		}
		r.Reset(data[written:])
		m, e := c.ep.Write(&r, tcpip.WriteOptions{})
		written += int(m)
		switch e.(type) {
		case nil:
		case *tcpip.ErrWouldBlock:
			c.smu.Lock()
			c.sendBuf = c.sendBuf[written:]
			c.smu.Unlock()
			return false
		default:
			werr = c.opErr("write", sysErr("write", e))
		}
	}
	c.smu.Lock()
	defer c.smu.Unlock()
	if werr != nil {
		c.sendErr, c.sendBuf = werr, nil
	} else {
		c.sendBuf = c.sendBuf[written:]
	}
	if len(c.sendBuf) > 0 {
		return false
	}
	c.sendBuf, c.flushing = nil, false
	return true
}

var _ net.Conn = (*TCPConn)(nil)

func newTCPConn(env *Env, ep tcpip.Endpoint, wq *waiter.Queue) *TCPConn {
	c := &TCPConn{}
	c.init(env, ep, wq)
	c.onClose = c
	// Go's net package turns Nagle's algorithm off on every TCP socket.
	ep.SocketOptions().SetDelayOption(false)
	if a, err := ep.GetLocalAddress(); err == nil {
		c.laddr = fullToTCP(a)
	}
	if a, err := ep.GetRemoteAddress(); err == nil {
		c.raddr = fullToTCP(a)
	}
	return c
}

func (c *TCPConn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.laddr, Addr: c.raddr, Err: err}
}

// Read implements net.Conn. It returns io.EOF once the peer has closed its
// side and every byte has been read. As in package net, a Read into an
// empty buffer returns 0, nil at once.
func (c *TCPConn) Read(b []byte) (int, error) { return c.read(b, false) }

// TryRead is Read that never waits: with nothing to read it fails with
// ErrWouldBlock, as a non-blocking recv(2) fails with EAGAIN. It ignores
// the read deadline.
func (c *TCPConn) TryRead(b []byte) (int, error) { return c.read(b, true) }

func (c *TCPConn) read(b []byte, nonblock bool) (int, error) {
	if c.userClosed.Load() {
		return 0, c.opErr("read", net.ErrClosed)
	}
	k := c.newCall(kindRead, callOf("Read", c, 0), "Read", c)
	k.conn, k.b, k.nonblock, k.what = c, b, nonblock, callTCPRead
	if !nonblock {
		k.dlOf = dlRead
	}
	ok := c.env.Sim.Do(&k.op)
	n, err := k.n, k.err
	k.done(ok)
	if !ok {
		return 0, c.opErr("read", c.env.Sim.CallErr())
	}
	return n, err
}

// tcpReadTry is the Try of a TCP Read (c.conn, into c.b): its result in
// c.n and c.err.
func (k *sockCall) tcpReadTry() bool {
	c := k.conn
	switch {
	case c.gone():
		k.err = c.opErr("read", net.ErrClosed)
	case len(k.b) == 0:
		// As package net: a Read into an empty buffer returns 0, nil at
		// once, whatever the deadline and whether bytes or EOF wait (the
		// stack's Read of 0 bytes would block).
	case !k.nonblock && c.expired(c.readDL()):
		k.err = c.opErr("read", timeoutError)
	default:
		w := &k.w
		*w = tcpip.SliceWriter(k.b)
		res, e := c.ep.Read(w, tcpip.ReadOptions{})
		*w = nil
		switch e.(type) {
		case nil:
			k.n = res.Count
			if k.n == 0 && len(k.b) > 0 {
				return k.readWouldBlock()
			}
		case *tcpip.ErrWouldBlock:
			return k.readWouldBlock()
		case *tcpip.ErrClosedForReceive:
			k.err = io.EOF
		default:
			k.err = c.opErr("read", sysErr("read", e))
			c.sendClosed.Store(true)
		}
	}
	return true
}

// readWouldBlock is the Try's result when there is nothing to read: a
// non-blocking Read fails with ErrWouldBlock, a blocking one waits.
func (k *sockCall) readWouldBlock() bool {
	if k.nonblock {
		k.err = k.conn.opErr("read", ErrWouldBlock)
	}
	return k.nonblock
}

// Write implements net.Conn. It returns when every byte is in the send
// buffer (or on an error).
func (c *TCPConn) Write(b []byte) (int, error) { return c.write(b, false) }

// TryWrite is Write that never waits, as a non-blocking send(2): it puts
// in the send buffer what fits and returns how many bytes that was, or
// fails with ErrWouldBlock if nothing fits. It ignores the write deadline.
func (c *TCPConn) TryWrite(b []byte) (int, error) { return c.write(b, true) }

func (c *TCPConn) write(b []byte, nonblock bool) (int, error) {
	if c.env.Sim.TestMode() {
		if n, ok, err := c.bufferWrite(b, nonblock); ok {
			return n, err
		}
	}
	if c.userClosed.Load() {
		return 0, c.opErr("write", net.ErrClosed)
	}
	k := c.newCall(kindWrite, callOf("Write", c, len(b)), "Write", c)
	k.conn, k.b, k.nonblock, k.what = c, b, nonblock, callTCPWrite
	if !nonblock {
		k.dlOf = dlWrite
	}
	ok := c.env.Sim.Do(&k.op)
	n, err := k.n, k.err
	k.done(ok)
	if !ok {
		return 0, c.opErr("write", c.env.Sim.CallErr())
	}
	return n, err
}

// tcpWriteTry is the Try of a TCP Write (c.b on c.conn): the bytes written
// in c.n, the error in c.err.
func (k *sockCall) tcpWriteTry() bool {
	c := k.conn
	if !c.gone() && !k.writeExpired() && !c.flush() {
		return k.writeWouldBlock()
	}
	for {
		switch {
		case c.gone():
			k.err = c.opErr("write", net.ErrClosed)
			return true
		case k.writeExpired():
			k.err = c.opErr("write", timeoutError)
			return true
		case c.sendClosed.Load():
			k.err = c.errPipe()
			return true
		case k.n == len(k.b):
			return true
		}
		r := &k.r
		r.Reset(k.b[k.n:])
		m, e := c.ep.Write(r, tcpip.WriteOptions{})
		r.Reset(nil)
		k.n += int(m)
		switch e.(type) {
		case nil:
		case *tcpip.ErrWouldBlock:
			return k.writeWouldBlock()
		default:
			k.err = c.opErr("write", sysErr("write", e))
			return true
		}
	}
}

// writeExpired reports whether a blocking Write's deadline has passed.
func (k *sockCall) writeExpired() bool {
	return !k.nonblock && k.conn.expired(k.conn.writeDL())
}

// writeWouldBlock is the Try's result when the send buffer is full: a
// non-blocking Write that wrote nothing fails with ErrWouldBlock and one
// that wrote some returns; a blocking one waits.
func (k *sockCall) writeWouldBlock() bool {
	if k.nonblock && k.n == 0 {
		k.err = k.conn.opErr("write", ErrWouldBlock)
	}
	return k.nonblock
}

// Close implements net.Conn: the connection closes gracefully (FIN, after
// the bytes written so far), and every call blocked on it returns
// net.ErrClosed. After SetLinger(0) it aborts instead: RST, unsent bytes
// dropped.
func (c *TCPConn) Close() error {
	call := callOf("Close", c, 0)
	if l := c.ep.SocketOptions().GetLinger(); l.Enabled && l.Timeout == 0 {
		call.Op = "abort"
	}
	if !c.env.Sim.TestMode() {
		if c.closeProgram(call, "Close", c) {
			return c.opErr("close", net.ErrClosed)
		}
		return nil
	}
	return c.closeSocketCall(call, "Close", c, c.closeReady, c.closedErr)
}

// closedErr is the error of a second Close.
func (c *TCPConn) closedErr() error { return c.opErr("close", net.ErrClosed) }

// closeReady reports whether a test-mode Close may close the endpoint: once
// the bytes buffered by Write are in the stack, or at once with SO_LINGER 0,
// whose Close discards unsent data: the bytes the stack takes now go in
// its send queue as a program-mode Write would have put them, the rest are
// dropped (in program mode their Write would still be blocked).
func (c *TCPConn) closeReady() bool {
	if l := c.ep.SocketOptions().GetLinger(); l.Enabled && l.Timeout == 0 {
		if c.gone() || c.flush() {
			return true
		}
		c.smu.Lock()
		c.sendBuf = nil
		c.smu.Unlock()
		return true
	}
	return c.flush()
}

// CloseWrite shuts down the sending side (sends FIN); reads go on.
func (c *TCPConn) CloseWrite() error { return c.shutdown("close", tcpip.ShutdownWrite) }

// CloseRead shuts down the receiving side.
func (c *TCPConn) CloseRead() error { return c.shutdown("close", tcpip.ShutdownRead) }

func (c *TCPConn) shutdown(op string, flags tcpip.ShutdownFlags) error {
	var err error
	ok := c.do(kindCtl, "Shutdown", c, nil, func() bool {
		if !c.gone() && !c.flush() {
			return false
		}
		if c.closed {
			err = c.opErr(op, net.ErrClosed)
		} else if e := c.ep.Shutdown(flags); e != nil {
			err = c.opErr(op, sysErr("shutdown", e))
		} else if flags&tcpip.ShutdownWrite != 0 {
			c.sendClosed.Store(true)
		}
		return true
	})
	if !ok {
		return c.opErr(op, c.env.Sim.CallErr())
	}
	return err
}

// LocalAddr implements net.Conn.
func (c *TCPConn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr implements net.Conn.
func (c *TCPConn) RemoteAddr() net.Addr { return c.raddr }

// SetDeadline implements net.Conn, on the virtual clock.
func (c *TCPConn) SetDeadline(t time.Time) error { return c.deadline(true, true, t) }

// SetReadDeadline implements net.Conn, on the virtual clock.
func (c *TCPConn) SetReadDeadline(t time.Time) error { return c.deadline(true, false, t) }

// SetWriteDeadline implements net.Conn, on the virtual clock.
func (c *TCPConn) SetWriteDeadline(t time.Time) error { return c.deadline(false, true, t) }

// deadline is the deadline setters: after Close they fail as package
// net's do.
func (c *TCPConn) deadline(read, write bool, t time.Time) error {
	if c.setDeadline(read, write, t) {
		return &net.OpError{Op: "set", Net: "tcp", Addr: c.laddr, Err: net.ErrClosed}
	}
	return nil
}

// SetNoDelay controls Nagle's algorithm (off by default, as in package net).
func (c *TCPConn) SetNoDelay(noDelay bool) error {
	return c.setOpt("SetNoDelay", c.setErr, func() tcpip.Error {
		c.ep.SocketOptions().SetDelayOption(!noDelay)
		return nil
	})
}

// SetLinger sets what Close does with data not yet sent, as
// net.TCPConn.SetLinger does (SO_LINGER):
//
//   - sec < 0, the default: Close returns at once; the stack sends the data,
//     then FIN, in the background.
//   - sec == 0: Close aborts the connection: it discards the data not yet
//     sent (and not yet read) and sends RST, not FIN. The peer's calls then
//     fail with syscall.ECONNRESET, and there is no TIME-WAIT.
//   - sec > 0: as sec < 0. Linux makes Close wait up to sec seconds for the
//     data to be acknowledged; gVisor's stack does not (its TCP endpoint
//     acts on SO_LINGER only when the timeout is 0), and neither does
//     netsim. Package net documents both behaviours.
func (c *TCPConn) SetLinger(sec int) error {
	return c.setOpt("SetLinger", c.setErr, func() tcpip.Error {
		c.ep.SocketOptions().SetLinger(tcpip.LingerOption{Enabled: sec >= 0, Timeout: time.Duration(sec) * time.Second})
		return nil
	})
}

// setErr is the error of a failed setter, as package net makes it.
func (c *TCPConn) setErr(err error) error { return c.opErr("set", err) }

func (c *TCPConn) desc() string {
	return "tcp " + c.laddr.String() + "->" + c.raddr.String()
}

// Describe implements sim.Describer: the connection, for a deadlock report.
func (c *TCPConn) Describe() string { return c.desc() }

// CallAddrs implements [sim.Addresser]: the socket's addresses, for
// explanations.
func (c *TCPConn) CallAddrs() (local, remote string) {
	return addrString(c.laddr), addrString(c.raddr)
}

// TCPListener is a listening TCP socket.
type TCPListener struct {
	endpoint
	addr     *net.TCPAddr
	accepted int // connections accepted so far (driver only)
	// acceptDesc describes an Accept for a deadlock report (made once, by
	// ListenTCP).
	acceptDesc string
}

var _ net.Listener = (*TCPListener)(nil)

// ListenTCP binds a listening socket to addr with the given backlog.
func ListenTCP(env *Env, proto tcpip.NetworkProtocolNumber, addr tcpip.FullAddress, backlog int) (*TCPListener, error) {
	l := &TCPListener{}
	l.env = env
	l.key = env.name("listen", "tcp", fullToTCP(addr).String())
	var err error
	ok := l.doSetupCall(sim.Call{Op: "listen", Local: fullToTCP(addr).String()}, func() {
		var wq waiter.Queue
		ep, e := env.Stack.NewEndpoint(tcp.ProtocolNumber, proto, &wq)
		if e != nil {
			err = sysErr("socket", e)
			return
		}
		if proto == header.IPv6ProtocolNumber {
			ep.SocketOptions().SetV6Only(false)
		}
		ep.SocketOptions().SetReuseAddress(true)
		if e := ep.Bind(addr); e != nil {
			ep.Close()
			err = sysErr("bind", e)
			return
		}
		if e := ep.Listen(backlog); e != nil {
			ep.Close()
			err = sysErr("listen", e)
			return
		}
		l.init(env, ep, &wq)
		if a, e := ep.GetLocalAddress(); e == nil {
			l.addr = fullToTCP(a)
		}
	})
	if !ok {
		err = env.Sim.CallErr()
	}
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: fullToTCP(addr), Err: err}
	}
	l.acceptDesc = "Accept tcp " + l.addr.String()
	return l, nil
}

// doSetupCall runs fn as an Op that always completes at once: socket
// creation is a scheduling point like every other call. e needs only env
// and key; call describes the call ("listen", "bind", "connect").
func (e *endpoint) doSetupCall(call sim.Call, fn func()) bool {
	stopped := false
	ok := e.env.Sim.Do(&sim.Op{Desc: "socket", Key: e.opKey(kindOpen), Call: call, Try: func() bool {
		if stopped = e.env.Sim.Stopped(); !stopped {
			fn()
		}
		return true
	}})
	// A test-mode run that has ended (stopped) makes no more sockets: the
	// call fails as after Close.
	return ok && !stopped
}

// Accept implements net.Listener.
func (l *TCPListener) Accept() (net.Conn, error) { return l.accept(false) }

// TryAccept is Accept that never waits: with no connection in the accept
// queue it fails with ErrWouldBlock, as a non-blocking accept(2) fails
// with EAGAIN. It ignores the deadline.
func (l *TCPListener) TryAccept() (net.Conn, error) { return l.accept(true) }

func (l *TCPListener) accept(nonblock bool) (net.Conn, error) {
	if l.userClosed.Load() {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
	}
	k := l.newCall(kindOpen, sim.Call{Op: "accept", Local: addrString(l.addr)}, l.acceptDesc, nil)
	k.ln, k.nonblock, k.what = l, nonblock, callTCPAccept
	if !nonblock {
		k.dlOf = dlRead
	}
	ok := l.env.Sim.Do(&k.op)
	conn, err := k.conn, k.err
	k.done(ok)
	if !ok {
		err = l.env.Sim.CallErr()
	}
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: err}
	}
	return conn, nil
}

// tcpAcceptTry is the Try of an Accept on c.ln: the connection in c.conn,
// or the error in c.err.
func (k *sockCall) tcpAcceptTry() bool {
	l := k.ln
	if l.gone() {
		k.err = net.ErrClosed
		return true
	}
	ep, wq, e := l.ep.Accept(nil)
	switch e.(type) {
	case nil:
		l.accepted++
		k.conn = newTCPConn(l.env, ep, wq)
		k.conn.key = l.key + "/" + strconv.Itoa(l.accepted)
	case *tcpip.ErrWouldBlock:
		if k.nonblock {
			k.err = ErrWouldBlock
			return true
		}
		if l.expired(l.readDL()) {
			k.err = timeoutError
			return true
		}
		return false
	default:
		k.err = sysErr("accept", e)
	}
	return true
}

// Close implements net.Listener.
func (l *TCPListener) Close() error {
	return l.closeSocketCall(sim.Call{Op: "close", Local: addrString(l.addr)}, "Close listener "+l.addr.String(), nil, nil, func() error {
		return &net.OpError{Op: "close", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
	})
}

// Addr implements net.Listener.
func (l *TCPListener) Addr() net.Addr { return l.addr }

// SetDeadline sets the deadline of Accept on the virtual clock, as
// net.TCPListener.SetDeadline does: a pending or later Accept fails with an
// error matching os.ErrDeadlineExceeded once it has passed (a connection
// already waiting is still accepted first); the zero time means none.
func (l *TCPListener) SetDeadline(t time.Time) error {
	if l.setDeadline(true, false, t) {
		return net.ErrClosed // as package net's, not in a *net.OpError
	}
	return nil
}

// DoneNotifier is a context that calls back, synchronously, when it is done:
// netsim's virtual-time contexts are.
type DoneNotifier interface {
	// AfterDone arranges for f to be called when the context is done and
	// returns a function that cancels that.
	AfterDone(f func()) (stop func() bool)
}

// DialTCP connects to raddr. laddr, when non-zero, binds the local end first.
// The context's deadline is a deadline on the virtual clock.
func DialTCP(ctx context.Context, env *Env, proto tcpip.NetworkProtocolNumber, laddr, raddr tcpip.FullAddress) (*TCPConn, error) {
	if !env.Sim.Running() {
		// Dial always blocks. Failing here, before the endpoint exists,
		// leaves nothing behind: starting the connect and returning
		// ErrNotRunning sent a SYN, and the handshake then completed in
		// the next Run with nobody holding the socket.
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: fullToTCP(raddr), Err: env.Sim.CallErr()}
	}
	return newDialing(ctx, env, proto, laddr, raddr).dial()
}

// dial runs the connect and waits for it. Its caller's frame and its own
// are small, since a task's stack keeps them while it waits (with 8 KiB
// stacks for 10,000 dials, the runtime started every goroutine at 8 KiB).
func (d *dialing) dial() (*TCPConn, error) {
	// A cancelled context ends a Dial at once, where the simulator can see
	// the cancellation happen: always for a context that says so itself
	// (netsim.Network.WithTimeout's), and in test mode for any context
	// (context.AfterFunc's goroutine belongs to the bubble, so the driver's
	// synctest.Wait waits for it). In program mode another context's
	// cancellation is noticed at the Dial's next wake-up.
	if stop := d.watchContext(); stop != nil {
		defer stop()
	}
	if !d.e.runCall(d.newCall()) {
		d.err = d.e.env.Sim.CallErr()
	}
	if d.err != nil {
		return nil, d.opErr(d.err)
	}
	return d.conn(), nil
}

// watchContext arranges for the dial to be woken when its context is done
// (see dial), and returns what undoes that, or nil.
func (d *dialing) watchContext() (stop func() bool) {
	if dn, ok := d.ctx.(DoneNotifier); ok {
		return dn.AfterDone(d.e.w.Notify)
	} else if d.e.env.Sim.TestMode() {
		return context.AfterFunc(d.ctx, d.e.w.Wake)
	}
	return nil
}

// newCall returns the dial's Op.
func (d *dialing) newCall() *sockCall {
	c := d.e.newCall(kindOpen, d.call(), "Dial tcp "+d.rstr, nil)
	c.what, c.dial, c.dlOf = callDial, d, dlDial
	return c
}

// dialTry is the Try of a Dial: it starts the connect the first time, then
// checks whether it has completed.
func (c *sockCall) dialTry() bool {
	d := c.dial
	if !d.started {
		d.started = true
		if d.start() {
			return true
		}
	}
	return d.check()
}

// dialing is a TCP connect: DialTCP waits for it to complete, StartDialTCP
// hands it to its caller as a PendingConn.
type dialing struct {
	e endpoint
	// wq is the endpoint's waiter queue: its own object, since gVisor's
	// endpoint keeps it for its life (TIME-WAIT included: a minute), which
	// must not keep the rest of the dialing alive.
	wq           *waiter.Queue
	ep           tcpip.Endpoint
	ctx          context.Context
	dl           time.Time // the context's deadline, on the virtual clock
	proto        tcpip.NetworkProtocolNumber
	laddr, raddr tcpip.FullAddress
	rstr         string // raddr as a string, formatted once
	err          error
	started      bool // DialTCP's Op has started the connect
}

func newDialing(ctx context.Context, env *Env, proto tcpip.NetworkProtocolNumber, laddr, raddr tcpip.FullAddress) *dialing {
	d := &dialing{ctx: ctx, proto: proto, laddr: laddr, raddr: raddr, wq: new(waiter.Queue)}
	d.e.env = env
	d.e.w = env.Sim.NewWaitable()
	label, _ := ctx.Value(LabelKey{}).(string)
	d.rstr = fullToTCP(raddr).String()
	d.e.key = env.name("dial", "tcp", d.rstr, label)
	// The context's deadline is a deadline on the virtual clock. The
	// context's own timer runs on the wall clock, so its DeadlineExceeded
	// says nothing about virtual time (a context with a virtual deadline
	// is done at once): only an explicit cancellation counts.
	d.dl, _ = ctx.Deadline()
	return d
}

// call describes the connect for explanations.
func (d *dialing) call() sim.Call {
	call := sim.Call{Op: "connect", Remote: d.rstr}
	if d.laddr != (tcpip.FullAddress{}) {
		call.Local = fullToTCP(d.laddr).String()
	}
	return call
}

// fail ends the connect with cause, releasing the endpoint; it reports
// true (the call is complete).
func (d *dialing) fail(cause error) bool {
	if d.ep != nil {
		d.wq.EventUnregister(&d.e.entry)
		d.ep.Close()
	}
	d.e.closed = true
	d.err = cause
	return true
}

// start makes the endpoint and starts the connect, on the driver. It
// reports whether the connect is complete already (failed, mostly).
func (d *dialing) start() bool {
	env := d.e.env
	if env.Sim.Stopped() {
		return d.fail(net.ErrClosed) // a test-mode run has ended
	}
	// A context already done sends nothing, as in package net.
	if cerr := d.ctx.Err(); errors.Is(cerr, context.Canceled) {
		return d.fail(cerr)
	}
	if d.e.expired(d.dl) {
		return d.fail(timeoutError)
	}
	ep, te := env.Stack.NewEndpoint(tcp.ProtocolNumber, d.proto, d.wq)
	if te != nil {
		return d.fail(sysErr("socket", te))
	}
	d.ep = ep
	d.e.ep, d.e.wq = ep, d.wq
	d.e.listener.w = d.e.w
	d.e.entry.Init(&d.e.listener, waiter.EventOut|waiter.EventErr|waiter.EventHUp)
	d.wq.EventRegister(&d.e.entry)
	ep.SocketOptions().SetDelayOption(false)
	if d.laddr != (tcpip.FullAddress{}) {
		if te := ep.Bind(d.laddr); te != nil {
			return d.fail(sysErr("bind", te))
		}
	}
	switch te := ep.Connect(d.raddr); te.(type) {
	case nil:
		return true
	case *tcpip.ErrConnectStarted:
	default:
		return d.fail(sysErr("connect", te))
	}
	return false
}

// check reports whether the connect has completed (successfully or not:
// see err), on the driver.
func (d *dialing) check() bool {
	if cerr := d.ctx.Err(); errors.Is(cerr, context.Canceled) {
		return d.fail(cerr)
	}
	if d.e.expired(d.dl) {
		return d.fail(timeoutError)
	}
	if d.ep.Readiness(waiter.WritableEvents) == 0 {
		return false
	}
	if te := d.ep.LastError(); te != nil {
		return d.fail(sysErr("connect", te))
	}
	return true
}

// opErr wraps err as the dial's *net.OpError.
func (d *dialing) opErr(err error) error {
	oe := &net.OpError{Op: "dial", Net: "tcp", Addr: fullToTCP(d.raddr), Err: err}
	if d.laddr != (tcpip.FullAddress{}) {
		oe.Source = fullToTCP(d.laddr)
	}
	return oe
}

// conn returns the connection of a connect that succeeded.
func (d *dialing) conn() *TCPConn {
	d.wq.EventUnregister(&d.e.entry)
	c := newTCPConn(d.e.env, d.ep, d.wq)
	c.key = d.e.key
	return c
}
