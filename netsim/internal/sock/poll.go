package sock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"

	"netsim.dev/netsim/internal/sim"
)

// Readiness for Poll, and the non-blocking calls (TryRead, TryWrite,
// TryAccept, TryReadFrom, TryWriteTo, StartDialTCP) that a program polls
// for. Readiness is read on the driver's goroutine, inside the Poll's Op,
// so that it is a fact of the run at a fixed step.

// ErrWouldBlock is the error of a non-blocking call that would have to
// wait. It matches syscall.EAGAIN (and EWOULDBLOCK, the same errno on
// Linux).
var ErrWouldBlock = fmt.Errorf("netsim: operation would block: %w", syscall.EAGAIN)

// ErrInProgress is the error of PendingConn.Conn while the connect is in
// progress. It matches syscall.EINPROGRESS.
var ErrInProgress = fmt.Errorf("netsim: connection in progress: %w", syscall.EINPROGRESS)

// Poll events: Linux's poll(2) bits, which are waiter.EventMask's too.
const (
	EventIn    = waiter.EventIn
	EventOut   = waiter.EventOut
	EventErr   = waiter.EventErr
	EventHUp   = waiter.EventHUp
	EventRdHUp = waiter.EventRdHUp
	// EventNVal: the socket is closed (POLLNVAL).
	EventNVal waiter.EventMask = 0x20
)

// allEvents is what a socket can report.
const allEvents = EventIn | EventOut | EventErr | EventHUp | EventRdHUp

// alwaysEvents are reported whether asked for or not, as poll(2) does.
const alwaysEvents = EventErr | EventHUp | EventNVal

// Pollable is a socket Poll can wait on: a *TCPConn, *TCPListener,
// *UDPConn or *PendingConn.
type Pollable interface {
	sim.Describer
	// readiness returns the events ready now (driver only).
	readiness() waiter.EventMask
	// base returns the socket's shared state: its driver's Waitable and
	// its name.
	base() *endpoint
}

func (e *endpoint) base() *endpoint { return e }

// AsPollable returns x as a Pollable if it is one of this package's
// sockets.
func AsPollable(x any) (Pollable, bool) {
	switch s := x.(type) {
	case *TCPConn:
		return s, s != nil
	case *TCPListener:
		return s, s != nil
	case *UDPConn:
		return s, s != nil
	case *PendingConn:
		return s, s != nil
	}
	return nil, false
}

// EnvOf returns the socket's environment (its host).
func EnvOf(p Pollable) *Env { return p.base().env }

func (c *TCPConn) readiness() waiter.EventMask {
	if c.gone() || c.userClosed.Load() {
		return EventNVal
	}
	m := c.ep.Readiness(allEvents)
	if !c.env.Sim.TestMode() {
		return m
	}
	// Test mode: Write buffers up to the send buffer's limit, so the
	// socket is writable while that buffer has room. Hand the buffered
	// bytes to the stack first, as far as they fit: the flush parked on
	// the socket may be retried after this Poll.
	c.smu.Lock()
	pending := len(c.sendBuf) > 0
	c.smu.Unlock()
	if pending {
		c.flush()
	}
	c.smu.Lock()
	defer c.smu.Unlock()
	if c.sendErr != nil {
		m |= EventErr
	}
	if len(c.sendBuf) < c.sendBufLimit() {
		m |= EventOut
	} else if m&(EventErr|EventHUp) == 0 {
		m &^= EventOut
	}
	return m
}

func (l *TCPListener) readiness() waiter.EventMask {
	if l.gone() || l.userClosed.Load() {
		return EventNVal
	}
	return l.ep.Readiness(allEvents)
}

// Describe implements sim.Describer: the listener, for a deadlock report.
func (l *TCPListener) Describe() string { return "tcp listener " + l.addr.String() }

func (c *UDPConn) readiness() waiter.EventMask {
	if c.gone() || c.userClosed.Load() {
		return EventNVal
	}
	return c.ep.Readiness(allEvents)
}

// PendingConn is a TCP connect started by StartDialTCP: a non-blocking
// connect(2) that returned EINPROGRESS. Poll reports it writable once the
// connect has completed, successfully or not; Conn then says which.
type PendingConn struct {
	d *dialing
	// conn is the connection, once Conn has seen it complete: set on the
	// driver, read by Poll's callers too (atomic: in test mode they may be
	// other goroutines).
	conn  atomic.Pointer[TCPConn]
	laddr *net.TCPAddr // set by StartDialTCP's Op
}

// StartDialTCP starts connecting to raddr, from laddr when it is non-zero,
// and returns at once, in one Op: the SYN is on its way. ctx labels the
// dial (LabelKey) and, when already cancelled, fails it; its deadline, on
// the virtual clock, fails a Conn called after it.
func StartDialTCP(ctx context.Context, env *Env, proto tcpip.NetworkProtocolNumber, laddr, raddr tcpip.FullAddress) (*PendingConn, error) {
	if !env.Sim.Running() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: fullToTCP(raddr), Err: env.Sim.CallErr()}
	}
	d := newDialing(ctx, env, proto, laddr, raddr)
	p := &PendingConn{d: d}
	ok := d.e.doCall(kindOpen, d.call(), "Dial tcp "+d.rstr, nil, nil, func() bool {
		if d.start() && d.err == nil {
			c := d.conn()
			p.conn.Store(c)
			p.laddr = c.laddr
			return true
		}
		if d.ep != nil && d.err == nil {
			if a, e := d.ep.GetLocalAddress(); e == nil {
				p.laddr = fullToTCP(a)
			}
		}
		return true
	})
	if !ok {
		d.err = env.Sim.CallErr()
	}
	if d.err != nil {
		return nil, d.opErr(d.err)
	}
	return p, nil
}

// Conn returns the connection once the connect has succeeded (every call
// after that returns the same one), the dial's error once it has failed
// (the *net.OpError a blocking Dial returns: errors.Is(err,
// syscall.ECONNREFUSED) after a RST, as getsockopt(SO_ERROR) says), and
// ErrInProgress until then. It never waits; it is one Op.
func (p *PendingConn) Conn() (*TCPConn, error) {
	d := p.d
	var conn *TCPConn
	var err error
	ok := d.e.do(kindOpen, "Dial tcp "+fullToTCP(d.raddr).String(), nil, nil, func() bool {
		switch {
		case p.conn.Load() != nil:
			conn = p.conn.Load()
		case d.err != nil:
			err = d.opErr(d.err)
		case d.e.env.Sim.Stopped():
			d.fail(net.ErrClosed)
			err = d.opErr(d.err)
		case !d.check():
			err = d.opErr(ErrInProgress)
		case d.err != nil:
			err = d.opErr(d.err)
		default:
			conn = d.conn()
			p.conn.Store(conn)
		}
		return true
	})
	if !ok {
		return nil, d.opErr(d.e.env.Sim.CallErr())
	}
	return conn, err
}

// Close abandons the connect (or closes the connection Conn returned).
func (p *PendingConn) Close() error {
	d := p.d
	var conn *TCPConn
	var err error
	ok := d.e.do(kindCtl, "Close", p, nil, func() bool {
		switch {
		case p.conn.Load() != nil:
			conn = p.conn.Load()
		case d.e.closed && d.err == errAbandoned:
			err = d.opErr(net.ErrClosed)
		default:
			if !d.e.closed {
				d.fail(errAbandoned)
			}
			d.err = errAbandoned
			d.e.w.Notify()
		}
		return true
	})
	if !ok {
		return d.opErr(d.e.env.Sim.CallErr())
	}
	if conn != nil {
		return conn.Close()
	}
	return err
}

// errAbandoned is the error of a PendingConn closed before it completed.
var errAbandoned = fmt.Errorf("connect abandoned: %w", net.ErrClosed)

func (p *PendingConn) readiness() waiter.EventMask {
	d := p.d
	switch {
	case p.conn.Load() != nil:
		return p.conn.Load().readiness()
	case d.err == errAbandoned:
		return EventNVal
	case d.err != nil:
		// A failed connect: what Linux reports for a refused one.
		return EventIn | EventOut | EventErr | EventHUp | EventRdHUp
	}
	// A connect that failed and that Conn has not seen yet: gVisor
	// reports every event asked for (as Linux reports POLLERR, POLLHUP
	// and the rest).
	return d.ep.Readiness(allEvents)
}

func (p *PendingConn) base() *endpoint {
	if c := p.conn.Load(); c != nil {
		return &c.endpoint
	}
	return &p.d.e
}

// LocalAddr is the connection's local address (bound when the connect
// started), or nil.
func (p *PendingConn) LocalAddr() net.Addr {
	if p.laddr == nil {
		return nil
	}
	return p.laddr
}

// RemoteAddr is the address being connected to.
func (p *PendingConn) RemoteAddr() net.Addr { return fullToTCP(p.d.raddr) }

// Describe implements sim.Describer.
func (p *PendingConn) Describe() string {
	return "tcp connecting to " + fullToTCP(p.d.raddr).String()
}

// PollItem is one socket of a Poll: S (nil: ignored), the events asked for,
// and those found ready.
type PollItem struct {
	S       Pollable
	Events  waiter.EventMask
	Revents waiter.EventMask
}

// Poll waits until one of items is ready for the events asked for (or an
// error, hang-up or close, always reported), timeout of virtual time has
// passed (negative: no limit; zero: do not wait), or ctx is done. It sets
// each item's Revents and returns how many items have some. It is one Op
// that waits on every socket at once.
//
// ctx's deadline is on the virtual clock; its cancellation ends the Poll at
// once for a DoneNotifier context and in test mode, and at the Poll's next
// wake-up otherwise.
func Poll(ctx context.Context, s *sim.Sim, items []PollItem, timeout time.Duration) (int, error) {
	w := s.NewWaitable()
	var also []*sim.Waitable
	var key sim.Key
	keyed := false
	for i := range items {
		it := &items[i]
		it.Revents = 0
		if it.S == nil {
			continue
		}
		e := it.S.base()
		if !keyed {
			keyed = true
			key = e.opKey(kindPoll)
		}
		if e.w != nil {
			also = append(also, e.w)
		}
	}
	if dn, ok := ctx.(DoneNotifier); ok {
		defer dn.AfterDone(w.Notify)()
	} else if s.TestMode() {
		defer context.AfterFunc(ctx, w.Wake)()
	}
	virtualCtx := s.TestMode()
	if _, ok := ctx.(DoneNotifier); ok {
		virtualCtx = true
	}
	ctxDL, hasDL := ctx.Deadline()
	var n int
	var err error
	started := false
	// The deadlines of the timeout and of ctx, since the epoch; 0: none.
	var timeoutDL, ctxDeadline time.Duration
	op := &sim.Op{Desc: "Poll", Of: pollDesc(items), W: w, Also: also, Key: key, Call: sim.Call{Op: "poll"}}
	op.Try = func() bool {
		now := s.Clock().Elapsed()
		if !started {
			started = true
			if timeout > 0 {
				timeoutDL = now + timeout
			}
			if hasDL {
				ctxDeadline = max(ctxDL.Sub(s.Clock().Epoch()), 1)
			}
		}
		n = 0
		for i := range items {
			it := &items[i]
			it.Revents = 0
			if it.S != nil {
				it.Revents = it.S.readiness() & (it.Events | alwaysEvents)
			}
			if it.Revents != 0 {
				n++
			}
		}
		if n > 0 || timeout == 0 {
			return true
		}
		if cerr := ctx.Err(); cerr != nil && (virtualCtx || errors.Is(cerr, context.Canceled)) {
			err = cerr
			return true
		}
		if timeoutDL != 0 && now >= timeoutDL {
			return true // timed out: nothing ready
		}
		if ctxDeadline != 0 && now >= ctxDeadline {
			err = context.DeadlineExceeded
			return true
		}
		op.Deadline = timeoutDL
		if ctxDeadline != 0 && (timeoutDL == 0 || ctxDeadline < timeoutDL) {
			op.Deadline = ctxDeadline
		}
		return false
	}
	if !s.Do(op) {
		return 0, fmt.Errorf("netsim: poll: %w", s.CallErr())
	}
	if err != nil {
		return 0, fmt.Errorf("netsim: poll: %w", err)
	}
	return n, nil
}

// pollDesc names a Poll's sockets for a deadlock report.
type pollDesc []PollItem

// Describe implements sim.Describer.
func (p pollDesc) Describe() string {
	var parts []string
	for _, it := range p {
		if it.S != nil {
			parts = append(parts, it.S.Describe())
		}
	}
	return strings.Join(parts, ", ")
}
