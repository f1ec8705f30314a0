// Package sock implements blocking Go sockets (net.Conn, net.Listener,
// net.PacketConn) over gVisor's non-blocking transport endpoints.
//
// Every call is an Op executed by the simulator's driver: the calling task
// hands control to the driver, which tries the endpoint call on its own
// goroutine and, if it would block, parks the Op on the socket until the
// endpoint's waiter queue reports a change. The driver therefore always knows
// exactly which task is blocked on what, and user code never touches the
// stack. Deadlines are on the virtual clock.
package sock

import (
	"net"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/waiter"

	"netsim/netsim/internal/sim"
)

// Env is what sockets on one host need: the driver and the host's stack.
type Env struct {
	Sim   *sim.Sim
	Stack *stack.Stack
}

// endpoint is the state shared by every socket: a gVisor endpoint, its waiter
// registration, and the driver's Waitable for it. Its fields are touched only
// inside Ops, on the driver's goroutine.
type endpoint struct {
	env   *Env
	ep    tcpip.Endpoint
	wq    *waiter.Queue
	entry waiter.Entry
	w     *sim.Waitable

	closed        bool
	readDeadline  time.Time
	writeDeadline time.Time
}

func (e *endpoint) init(env *Env, ep tcpip.Endpoint, wq *waiter.Queue) {
	e.env = env
	e.ep = ep
	e.wq = wq
	e.w = env.Sim.NewWaitable()
	e.entry = waiter.NewFunctionEntry(waiter.EventIn|waiter.EventOut|waiter.EventErr|waiter.EventHUp|waiter.EventRdHUp, func(waiter.EventMask) {
		e.w.Notify()
	})
	wq.EventRegister(&e.entry)
}

// do runs try as an Op on the driver. try reports whether the call is
// complete; if it is not, the Op waits for the endpoint to change or for the
// deadline *dl (nil means none). It returns false when the call could not run
// because the simulation is not running and try would block.
//
// *dl is read again after every attempt: a deadline that another task sets,
// moves or clears while the call is parked applies to that call, as in
// package net. (Reading it once made an extended deadline spin the driver
// at the old one forever, and ignored a deadline set on a parked call.)
func (e *endpoint) do(desc string, dl *time.Time, try func() bool) bool {
	op := &sim.Op{Desc: desc, W: e.w}
	op.Try = func() bool {
		if try() {
			return true
		}
		op.Deadline = 0
		if dl != nil && !dl.IsZero() {
			op.Deadline = max(dl.Sub(e.env.Sim.Clock().Epoch()), 1)
		}
		return false
	}
	return e.env.Sim.Do(op)
}

// expired reports whether deadline dl has passed on the virtual clock.
func (e *endpoint) expired(dl time.Time) bool {
	return !dl.IsZero() && !e.env.Sim.Clock().Now().Before(dl)
}

// close releases the endpoint and wakes every call parked on it.
func (e *endpoint) close() {
	e.closed = true
	e.wq.EventUnregister(&e.entry)
	e.ep.Close()
	e.w.Notify()
}

// setDeadline updates the deadlines as an Op, so that a call parked in
// another task sees the change at once (net/http aborts a blocked Read this
// way, with a deadline in the past).
func (e *endpoint) setDeadline(read, write bool, t time.Time) error {
	e.env.Sim.Do(&sim.Op{Desc: "SetDeadline", Free: true, Try: func() bool {
		if read {
			e.readDeadline = t
		}
		if write {
			e.writeDeadline = t
		}
		e.w.Notify()
		return true
	}})
	return nil
}

func fullToTCP(a tcpip.FullAddress) *net.TCPAddr {
	return &net.TCPAddr{IP: net.IP(a.Addr.AsSlice()), Port: int(a.Port)}
}

func fullToUDP(a tcpip.FullAddress) *net.UDPAddr {
	return &net.UDPAddr{IP: net.IP(a.Addr.AsSlice()), Port: int(a.Port)}
}
