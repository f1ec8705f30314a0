package proc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"netsim.dev/netsim"
)

// Non-blocking sockets and readiness: what select, poll, epoll, selectors
// and asyncio need. A call on a socket whose Python timeout is 0
// (setblocking(False), settimeout(0)) is non-blocking: it uses netsim's
// Try calls and fails with EAGAIN (BlockingIOError) instead of waiting; a
// non-blocking connect starts the handshake with Host.StartDial and fails
// with EINPROGRESS; getsockopt(SO_ERROR) then tells how it ended. The
// "poll" op waits on several sockets at once with Network.Poll.
//
// The shim's side is shim/_netsim_select.py.

// Linux's poll(2) bits, as the shim sends them.
const (
	pollIn   = 0x1
	pollPri  = 0x2
	pollOut  = 0x4
	pollNval = 0x20
)

// nbState is a socket's non-blocking connect.
type nbState struct {
	// pending is a connect started by a non-blocking connect, until
	// settle sees it complete.
	pending *netsim.PendingConn
	// soErr is the error of a non-blocking connect that failed, for
	// getsockopt(SO_ERROR), which clears it.
	soErr error
}

// nonblocking reports whether req is a non-blocking call: on a socket
// whose Python timeout is 0, or with MSG_DONTWAIT.
func nonblocking(req *Request) bool {
	return (req.Timeout != nil && *req.Timeout == 0) || req.Flags&msgDontWait != 0
}

// settle turns a non-blocking connect that has completed into the
// socket's connection, or into its SO_ERROR. It reports whether the
// connect is still in progress.
func (s *sock) settle() bool {
	nb := &s.nb
	if nb.pending == nil {
		return false
	}
	c, err := nb.pending.Conn()
	switch {
	case errors.Is(err, netsim.ErrInProgress):
		return true
	case err != nil:
		nb.pending.Close()
		nb.soErr = err
	default:
		s.conn = c
		s.applyOpts(c)
	}
	nb.pending = nil
	return false
}

// closePending abandons a connect still in progress.
func (s *sock) closePending() {
	if s.nb.pending != nil {
		s.nb.pending.Close()
		s.nb.pending = nil
	}
}

// soError is getsockopt(SO_ERROR): the errno of a failed non-blocking
// connect, once (0 otherwise).
func (s *sock) soError() int {
	s.settle()
	err := s.nb.soErr
	s.nb.soErr = nil
	if err == nil {
		return 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return int(errno)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return int(syscall.ETIMEDOUT)
	}
	return int(syscall.EIO)
}

// connectNB serves connect on a non-blocking TCP socket: it starts the
// handshake and fails with EINPROGRESS, or reports how a connect started
// earlier stands (EALREADY while in progress, EISCONN once connected, its
// error once failed). handled is false when the call is not for it.
func (p *process) connectNB(s *sock, req *Request, raddr string) (handled bool, err error) {
	if s.typ != sockStream {
		return false, nil
	}
	if s.nb.pending != nil || s.nb.soErr != nil {
		if s.settle() {
			return true, syscall.EALREADY
		}
		if s.nb.soErr != nil {
			err, s.nb.soErr = s.nb.soErr, nil
			return true, err
		}
		return true, syscall.EISCONN
	}
	if !nonblocking(req) {
		return false, nil
	}
	if s.conn != nil || s.ln != nil {
		return true, syscall.EISCONN
	}
	pc, err := p.host.StartDial(context.Background(), s.network(), s.laddr, raddr)
	if err != nil {
		return true, err
	}
	s.nb.pending = pc
	return true, syscall.EINPROGRESS
}

// acceptConn is the listener's Accept, or TryAccept for a non-blocking
// socket.
func acceptConn(p *process, s *sock, req *Request) (net.Conn, error) {
	if nonblocking(req) {
		return netsim.TryAccept(s.ln)
	}
	s.ln.SetDeadline(p.deadline(req))
	return s.ln.Accept()
}

// write is c.Write, or TryWrite for a non-blocking socket.
func write(c net.Conn, req *Request) (int, error) {
	if nonblocking(req) {
		return netsim.TryWrite(c, req.Data)
	}
	return c.Write(req.Data)
}

// writeTo is pc.WriteTo, or TryWriteTo for a non-blocking socket.
func writeTo(pc net.PacketConn, b []byte, to net.Addr, req *Request) (int, error) {
	if nonblocking(req) {
		return netsim.TryWriteTo(pc, b, to)
	}
	return pc.WriteTo(b, to)
}

// read is c.Read, or TryRead for a non-blocking socket.
func read(c net.Conn, b []byte, req *Request) (int, error) {
	if nonblocking(req) {
		return netsim.TryRead(c, b)
	}
	return c.Read(b)
}

// readFrom is r.ReadFrom, or TryReadFrom for a non-blocking socket.
func readFrom(r interface {
	ReadFrom([]byte) (int, net.Addr, error)
}, b []byte, req *Request) (int, net.Addr, error) {
	if pc, ok := r.(net.PacketConn); ok && nonblocking(req) {
		return netsim.TryReadFrom(pc, b)
	}
	return r.ReadFrom(b)
}

// pollable returns what Network.Poll waits on for the socket, or nil for
// a socket that has nothing yet (made, maybe bound, never connected).
func (s *sock) pollable() any {
	switch {
	case s.nb.pending != nil:
		return s.nb.pending
	case s.ln != nil:
		return s.ln
	case s.conn != nil:
		return s.conn
	case s.pc != nil:
		return s.pc
	}
	return nil
}

// idleEvents is what poll(2) reports at once for a socket netsim has
// nothing for: a TCP socket never connected is writable and hung up
// (Linux's POLLOUT|POLLHUP), a UDP socket not bound yet writable.
func (s *sock) idleEvents() int {
	if s.typ == sockStream {
		if s.nb.soErr != nil {
			return pollIn | pollOut | 0x8 | 0x10 // a refused connect: ERR|HUP too
		}
		return pollOut | 0x10
	}
	return pollOut
}

// handlePoll serves "poll": fds is a list of [fd, events]; the reply is
// the list of [fd, revents] of the ready ones, in the request's order,
// after waiting at most the request's timeout (absent: no limit) on the
// virtual clock.
func handlePoll(p *process, req *Request) (*Reply, error) {
	var args struct {
		FDs [][2]int `json:"fds"`
	}
	if err := req.Args(&args); err != nil {
		return nil, err
	}
	// Deadlock reports name the sockets: "poll(fd 1000 tcp
	// 127.0.0.1:8888, fd 1001 tcp ...)".
	names := make([]string, len(args.FDs))
	for i, fe := range args.FDs {
		names[i] = fmt.Sprintf("fd %d", fe[0])
		if s := p.socks[fe[0]]; s != nil {
			names[i] += " " + s.String()
		}
	}
	p.call = "poll(" + strings.Join(names, ", ") + ")"
	p.last = p.call
	timeout := time.Duration(-1)
	if req.Timeout != nil {
		timeout = duration(*req.Timeout)
	}
	fds := make([]netsim.PollFD, len(args.FDs))
	now := make([]int, len(args.FDs)) // events known without netsim
	for i, fe := range args.FDs {
		s := p.socks[fe[0]]
		switch {
		case s == nil:
			now[i] = pollNval
		case len(s.peek) > 0 && fe[1]&pollIn != 0:
			now[i] = pollIn // MSG_PEEK kept data: readable
		}
		if s == nil {
			continue
		}
		if x := s.pollable(); x != nil {
			fds[i] = netsim.PollFD{Socket: x, Events: netsim.PollEvents(fe[1] &^ pollPri)}
		} else {
			now[i] = s.idleEvents() & (fe[1] | 0x8 | 0x10)
		}
	}
	for _, ev := range now {
		if ev != 0 {
			timeout = 0
		}
	}
	if _, err := p.r.n.Poll(context.Background(), fds, timeout); err != nil {
		return nil, err
	}
	out := [][2]int{}
	for i, fe := range args.FDs {
		if ev := now[i] | int(fds[i].Revents); ev != 0 {
			out = append(out, [2]int{fe[0], ev})
		}
	}
	return &Reply{Value: out}, nil
}

func init() { register("poll", handlePoll) }
