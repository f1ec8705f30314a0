package netsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"

	"netsim.dev/netsim/internal/sock"
)

// PollEvents is a set of readiness events of a socket, as poll(2) has them;
// the values are Linux's POLLIN, POLLOUT... bits.
type PollEvents uint16

// The events [Network.Poll] reports. PollErr, PollHup and PollNval are
// reported whether asked for or not, as poll(2) does.
const (
	// PollIn: a Read, ReadFrom or Accept would not wait: data, a
	// datagram, a connection in the accept queue, or the end of the
	// stream (Read returns io.EOF) or an error.
	PollIn PollEvents = 0x1
	// PollOut: a Write would not wait; for a [PendingConn], the connect
	// has completed (successfully or not: see [PendingConn.Conn]).
	PollOut PollEvents = 0x4
	// PollErr: the socket has an error pending (a reset connection, a
	// refused connect, an ICMP error for a UDP socket).
	PollErr PollEvents = 0x8
	// PollHup: the connection is closed in both directions, or reset.
	PollHup PollEvents = 0x10
	// PollNval: the socket is closed (by this program).
	PollNval PollEvents = 0x20
	// PollRdHup: the peer has shut down its sending side (FIN received).
	PollRdHup PollEvents = 0x2000
)

// pollNames names the events, in String's order.
var pollNames = []struct {
	e    PollEvents
	name string
}{{PollIn, "IN"}, {PollOut, "OUT"}, {PollErr, "ERR"}, {PollHup, "HUP"}, {PollNval, "NVAL"}, {PollRdHup, "RDHUP"}}

// String names the events: "IN|OUT", "0" for none.
func (e PollEvents) String() string {
	if e == 0 {
		return "0"
	}
	var parts []string
	for _, p := range pollNames {
		if e&p.e != 0 {
			parts = append(parts, p.name)
			e &^= p.e
		}
	}
	if e != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint16(e)))
	}
	return strings.Join(parts, "|")
}

// PollFD is one socket of a [Network.Poll], as struct pollfd is for
// poll(2): the socket, the events asked for, and (set by Poll) the events
// found.
type PollFD struct {
	// Socket is a socket of the network: a net.Conn (TCP or UDP) or
	// net.Listener from a [Host], a net.PacketConn from
	// [Host.ListenPacket], or a [*PendingConn]. nil entries are skipped,
	// as poll(2) skips negative descriptors.
	Socket any
	// Events are the events asked for.
	Events PollEvents
	// Revents are the events found ready, set by Poll: some of Events,
	// and PollErr, PollHup or PollNval whether asked for or not.
	Revents PollEvents
}

// ErrNotSocket is the error (wrapped) of [Network.Poll] and of the Try
// functions for a value that is not a socket of this network: a socket of
// package net, of another Network, or of no network at all.
var ErrNotSocket = errors.New("netsim: not a socket of this network")

// ErrWouldBlock is the error (wrapped in a *net.OpError) of [TryRead],
// [TryWrite], [TryAccept], [TryReadFrom] and [TryWriteTo] when the call
// would have to wait. errors.Is(err, syscall.EAGAIN) holds too, as for
// a non-blocking socket call on Linux.
var ErrWouldBlock = sock.ErrWouldBlock

// ErrInProgress is the error (wrapped in a *net.OpError) of
// [PendingConn.Conn] while the connect is still in progress.
// errors.Is(err, syscall.EINPROGRESS) holds too.
var ErrInProgress = sock.ErrInProgress

// Poll waits until at least one of fds is ready for the events it asks
// for, as poll(2) does, then sets every entry's Revents and returns how
// many entries have some. It waits at most timeout of virtual time: a
// negative timeout means no limit, zero means do not wait (report what is
// ready now). On a timeout it returns 0 and a nil error. With no sockets
// (fds empty or all nil) it sleeps, as [Network.Sleep] does.
//
// Poll is one netsim call, in program mode ([Network.Go]) and in test mode
// ([Network.Start]) alike: the task waits on every socket at once and
// resumes, at a step the run fixes, when one of them changes. So the
// order of everything stays deterministic. Entries are reported in the
// order of fds.
//
// ctx ends the Poll early with its error (wrapped): its deadline is on the
// virtual clock, as for [Host.DialContext]; a cancellation is seen at once
// for contexts of [Network.WithTimeout] and in test mode, otherwise when a
// socket next changes. Poll fails with an error wrapping [ErrNotSocket] for
// an entry that is not a socket of this network, and with
// [ErrNotRunning] for a Poll that would wait outside a run.
//
// A non-blocking program is a loop of Poll and the Try calls ([TryRead],
// [TryWrite], [TryAccept], [TryReadFrom], [TryWriteTo],
// [Host.StartDial]): see the example.
func (n *Network) Poll(ctx context.Context, fds []PollFD, timeout time.Duration) (int, error) {
	items := make([]sock.PollItem, len(fds))
	for i := range fds {
		fds[i].Revents = 0
		if fds[i].Socket == nil {
			continue
		}
		p, err := n.pollable("poll", fds[i].Socket)
		if err != nil {
			return 0, fmt.Errorf("netsim: Poll: fds[%d]: %w", i, err)
		}
		items[i] = sock.PollItem{S: p, Events: waiter.EventMask(fds[i].Events)}
	}
	if n.sim.TestMode() && !slices.ContainsFunc(fds, func(fd PollFD) bool { return fd.Socket != nil }) {
		// Nothing to wait on: a sleep on the bubble's clock, as Sleep is
		// in test mode (an Op keyed by no socket would race with others).
		return 0, sleepContext(ctx, timeout)
	}
	count, err := sock.Poll(ctx, n.sim, items, timeout)
	for i := range fds {
		fds[i].Revents = PollEvents(items[i].Revents)
	}
	return count, err
}

// sleepContext sleeps for d (negative: until ctx is done) or until ctx is
// done; it returns ctx's error (wrapped) if ctx ended it.
func sleepContext(ctx context.Context, d time.Duration) error {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("netsim: poll: %w", ctx.Err())
	}
}

// pollable returns x as a socket of n.
func (n *Network) pollable(op string, x any) (sock.Pollable, error) {
	if pc, ok := x.(*PendingConn); ok && pc != nil {
		x = pc.p
	}
	p, ok := sock.AsPollable(x)
	if !ok || sock.EnvOf(p).Sim != n.sim {
		return nil, fmt.Errorf("%s on %T: %w", op, x, ErrNotSocket)
	}
	return p, nil
}

// notSocket is the error of a Try call on a value that is not a socket
// netsim made.
func notSocket(op string, x any) error {
	return &net.OpError{Op: op, Err: fmt.Errorf("%T: %w", x, ErrNotSocket)}
}

// TryRead is c.Read that never waits, as recv(2) on a non-blocking
// socket: it reads what is there, returns io.EOF at the end of the
// stream, and fails with an error matching [ErrWouldBlock] (and
// syscall.EAGAIN) when there is nothing to read yet. c is a TCP or
// connected UDP connection of a [Host]; TryRead ignores its read deadline.
func TryRead(c net.Conn, b []byte) (int, error) {
	switch s := c.(type) {
	case *sock.TCPConn:
		return s.TryRead(b)
	case *sock.UDPConn:
		return s.TryRead(b)
	}
	return 0, notSocket("read", c)
}

// TryWrite is c.Write that never waits, as send(2) on a non-blocking
// socket: it puts in the send buffer what fits and returns how many bytes
// that was (maybe fewer than len(b), with a nil error), or fails with an
// error matching [ErrWouldBlock] (and syscall.EAGAIN) when nothing fits.
// c is a TCP or connected UDP connection of a [Host]; TryWrite ignores
// its write deadline.
func TryWrite(c net.Conn, b []byte) (int, error) {
	switch s := c.(type) {
	case *sock.TCPConn:
		return s.TryWrite(b)
	case *sock.UDPConn:
		return s.TryWrite(b)
	}
	return 0, notSocket("write", c)
}

// TryAccept is l.Accept that never waits, as accept(2) on a non-blocking
// socket: it fails with an error matching [ErrWouldBlock] (and
// syscall.EAGAIN) when no connection is waiting. l is a listener of
// [Host.Listen]; TryAccept ignores its deadline.
func TryAccept(l net.Listener) (net.Conn, error) {
	if s, ok := l.(*sock.TCPListener); ok {
		return s.TryAccept()
	}
	return nil, notSocket("accept", l)
}

// TryReadFrom is c.ReadFrom that never waits, as recvfrom(2) on a
// non-blocking socket: it fails with an error matching [ErrWouldBlock]
// (and syscall.EAGAIN) when no datagram is queued. c is a socket of
// [Host.ListenPacket]; TryReadFrom ignores its read deadline.
func TryReadFrom(c net.PacketConn, b []byte) (int, net.Addr, error) {
	if s, ok := c.(*sock.UDPConn); ok {
		return s.TryReadFrom(b)
	}
	return 0, nil, notSocket("read", c)
}

// TryWriteTo is c.WriteTo that never waits, as sendto(2) on a
// non-blocking socket: it fails with an error matching [ErrWouldBlock]
// when the datagram cannot be sent now. c is a socket of
// [Host.ListenPacket]; TryWriteTo ignores its write deadline.
func TryWriteTo(c net.PacketConn, b []byte, addr net.Addr) (int, error) {
	if s, ok := c.(*sock.UDPConn); ok {
		return s.TryWriteTo(b, addr)
	}
	return 0, notSocket("write", c)
}

// PendingConn is a TCP connection being set up by [Host.StartDial], as a
// socket after a non-blocking connect(2) that returned EINPROGRESS. Poll
// it for [PollOut]: it is reported once the handshake has completed or
// failed, and [PendingConn.Conn] then says which, as getsockopt(SO_ERROR)
// does.
type PendingConn struct {
	p *sock.PendingConn
}

// Conn returns the connection (a [TCPConn]) once the handshake has
// completed, and the same connection on every later call; the dial's
// error once it has failed (a *net.OpError, errors.Is(err,
// syscall.ECONNREFUSED) after the peer's RST, as SO_ERROR would say; a
// timeout matching [context.DeadlineExceeded] once StartDial's context's
// deadline has passed, as package net's dial timeout); and
// an error matching [ErrInProgress] until then. It never waits.
func (p *PendingConn) Conn() (net.Conn, error) {
	if p == nil || p.p == nil {
		return nil, notSocket("dial", p)
	}
	c, err := p.p.Conn()
	if err != nil {
		return nil, dialErr(err)
	}
	return c, nil
}

// Close abandons the connect, or closes the connection that Conn
// returned.
func (p *PendingConn) Close() error {
	if p == nil || p.p == nil {
		return notSocket("close", p)
	}
	return p.p.Close()
}

// LocalAddr returns the local address the connect was started from (an
// ephemeral port, or StartDial's laddr).
func (p *PendingConn) LocalAddr() net.Addr {
	if p == nil || p.p == nil {
		return nil
	}
	return p.p.LocalAddr()
}

// RemoteAddr returns the address being connected to.
func (p *PendingConn) RemoteAddr() net.Addr {
	if p == nil || p.p == nil {
		return nil
	}
	return p.p.RemoteAddr()
}

// StartDial starts a TCP connection to raddr and returns at once, as
// connect(2) on a non-blocking socket returns EINPROGRESS: the SYN is on
// its way. Learn the outcome with [Network.Poll] ([PollOut]) and
// [PendingConn.Conn]. network is "tcp", "tcp4" or "tcp6"; laddr and
// raddr are what [Host.DialFrom] takes (laddr "" for an ephemeral port).
// ctx labels the connection ([WithLabel]) and, if already cancelled,
// fails the call; once its deadline (on the virtual clock) has passed, a
// Conn of a connect still in progress fails with a timeout. Poll does not
// wake for that deadline: give Poll a timeout.
func (h *Host) StartDial(ctx context.Context, network, laddr, raddr string) (*PendingConn, error) {
	kind, err := transport("dial", network, raddr)
	if err != nil {
		return nil, err
	}
	if kind != "tcp" {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("StartDial is for TCP (a UDP connect never waits: use DialFrom): %w", net.UnknownNetworkError(network))}
	}
	var proto tcpip.NetworkProtocolNumber
	var la, fa tcpip.FullAddress
	if laddr == "" {
		proto, fa, err = h.resolve("dial", network, kind, raddr, false)
	} else {
		proto, la, fa, err = h.resolveFrom(network, kind, laddr, raddr)
	}
	if err != nil {
		return nil, err
	}
	p, err := sock.StartDialTCP(ctx, h.env, proto, la, fa)
	if err != nil {
		return nil, err
	}
	return &PendingConn{p: p}, nil
}
