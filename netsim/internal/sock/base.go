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
	"bytes"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/waiter"

	"netsim.dev/netsim/internal/sim"
)

// Env is what sockets on one host need: the driver, the host's stack, and
// the host's name (sockets are named after it).
type Env struct {
	Sim   *sim.Sim
	Stack *stack.Stack
	Host  string

	mu    sync.Mutex
	names map[string]int
}

// name returns a socket name made of parts, numbered if it was given before:
// "client|dial|tcp|server:80|", then "client|dial|tcp|server:80|#2". In
// test mode it ends with the caller's sim.CallerTag instead of a number,
// so that the sockets that goroutines make at one instant sort the same
// way whichever goroutine came first.
func (env *Env) name(parts ...string) string {
	base := env.Host + "|" + strings.Join(parts, "|")
	if env.Sim.TestMode() {
		return base + "|" + env.Sim.CallerTag()
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.names == nil {
		env.names = make(map[string]int)
	}
	env.names[base]++
	if n := env.names[base]; n > 1 {
		// Not fmt.Sprintf: a dial runs this on its task's goroutine, whose
		// stack fmt made grow (7% of the CPU of 10,000 connections).
		return base + "#" + strconv.Itoa(n)
	}
	return base
}

// LabelKey is the context key whose string value labels a Dial made with
// that context, so that dials made at the same instant by different
// goroutines sort the same way on every run (netsim.WithLabel sets it).
type LabelKey struct{}

// Kinds of Op on one socket, for the driver's ordering in test mode.
const (
	kindOpen  uint8 = iota // socket creation, Dial, Accept
	kindRead               // Read, ReadFrom
	kindWrite              // Write, WriteTo, flushes
	kindCtl                // deadlines, shutdown, Close
	kindPoll               // Poll, keyed by its first socket
	kinds
)

// endpoint is the state shared by every socket: a gVisor endpoint, its waiter
// registration, and the driver's Waitable for it. Its fields are touched only
// inside Ops, on the driver's goroutine.
type endpoint struct {
	env      *Env
	ep       tcpip.Endpoint
	wq       *waiter.Queue
	entry    waiter.Entry
	listener notifier // entry's listener
	w        *sim.Waitable
	key      string               // the socket's name, for Op keys
	seq      [kinds]atomic.Uint64 // Ops submitted, by kind

	closed     bool        // the endpoint is closed (driver only)
	onClose    closer      // if not nil, runs on the driver before the endpoint closes
	userClosed atomic.Bool // Close was called (test mode)

	// The deadlines are set by the caller at once (so that a call made
	// right after sees them) and read by the driver.
	dmu           sync.Mutex
	readDeadline  time.Time
	writeDeadline time.Time
}

// closer is what a socket does on the driver before its endpoint closes.
type closer interface{ beforeClose() }

func (e *endpoint) init(env *Env, ep tcpip.Endpoint, wq *waiter.Queue) {
	e.env = env
	e.ep = ep
	e.wq = wq
	e.w = env.Sim.NewWaitable()
	e.listener.w = e.w
	e.entry.Init(&e.listener, waiter.EventIn|waiter.EventOut|waiter.EventErr|waiter.EventHUp|waiter.EventRdHUp)
	wq.EventRegister(&e.entry)
}

// notifier is a socket's waiter.EventListener, a field of the socket (a
// closure was one more allocation per socket): a change that the
// endpoint's waiter queue reports makes the calls parked on the socket be
// tried again.
type notifier struct{ w *sim.Waitable }

// NotifyEvent implements waiter.EventListener.
func (n *notifier) NotifyEvent(waiter.EventMask) { n.w.Notify() }

// do runs try as an Op on the driver. try reports whether the call is
// complete; if it is not, the Op waits for the endpoint to change or for the
// deadline *dl (nil means none). It returns false when the call could not run
// because the simulation is not running and try would block.
//
// *dl is read again after every attempt: a deadline that another task sets,
// moves or clears while the call is parked applies to that call, as in
// package net. (Reading it once made an extended deadline spin the driver
// at the old one forever, and ignored a deadline set on a parked call.)
func (e *endpoint) do(kind uint8, desc string, of sim.Describer, dl func() time.Time, try func() bool) bool {
	return e.doCall(kind, callOf(desc, of, 0), desc, of, dl, try)
}

// doCall is do for a call described by call (for explanations).
func (e *endpoint) doCall(kind uint8, call sim.Call, desc string, of sim.Describer, dl func() time.Time, try func() bool) bool {
	c := e.newCall(kind, call, desc, of)
	c.dl, c.try = dl, try
	return e.runCall(c)
}

// newCall returns a sockCall for a call on e, its Op filled in but for
// the attempt (try, or one of the sockCall's own methods).
func (e *endpoint) newCall(kind uint8, call sim.Call, desc string, of sim.Describer) *sockCall {
	c := callPool.Get().(*sockCall)
	c.program = !e.env.Sim.TestMode()
	c.op = sim.Op{Desc: desc, Of: of, W: e.w, Key: e.opKey(kind), Call: call, Try: c.attempt}
	c.e = e
	return c
}

// runCall runs c's Op and recycles c (see done).
func (e *endpoint) runCall(c *sockCall) bool {
	ok := e.env.Sim.Do(&c.op)
	c.done(ok)
	return ok
}

// done recycles c once its Op has run, where nothing can hold it any more:
// in program mode, after a Do that completed it (the driver has unparked
// it and cancelled its deadline). The caller reads c's results first.
func (c *sockCall) done(ok bool) {
	if ok && c.program && !c.e.env.Sim.TestMode() {
		*c = sockCall{attempt: c.attempt}
		callPool.Put(c)
	}
}

// sockCall is the Op of a socket call and what its Try needs, in one
// object that program mode recycles (an Op and a closure were 290 bytes
// of garbage per call). The common calls (TCP Read, Write, Accept, Close)
// keep their arguments and results here too, and are tried by a method of
// the sockCall (what): they allocate nothing.
type sockCall struct {
	op      sim.Op
	e       *endpoint
	program bool             // made in program mode
	what    uint8            // the call, when try is nil
	dlOf    uint8            // which of the endpoint's deadlines applies, when dl is nil
	dl      func() time.Time // the deadline, or nil
	try     func() bool
	attempt func() bool // c.run, made once per sockCall

	// The arguments and results of the calls without a closure.
	conn     *TCPConn
	ln       *TCPListener
	dial     *dialing
	b        []byte
	n        int
	err      error
	nonblock bool
	closed   bool              // Close found the socket closed already
	r        bytes.Reader      // what a Write hands the stack
	w        tcpip.SliceWriter // what a Read gives it
}

// Values of sockCall.what.
const (
	callTry       uint8 = iota // c.try
	callTCPRead                // c.tcpReadTry
	callTCPWrite               // c.tcpWriteTry
	callTCPAccept              // c.tcpAcceptTry
	callClose                  // c.closeOnce
	callDial                   // c.dialTry
)

// Values of sockCall.dlOf.
const (
	dlNone  uint8 = iota
	dlRead        // the endpoint's read deadline
	dlWrite       // its write deadline
	dlDial        // the dial's context's (c.dial.dl)
)

// callPool holds the sockCalls of completed calls.
var callPool = sync.Pool{New: func() any {
	c := &sockCall{}
	c.attempt = c.run
	return c
}}

// attemptOnce tries the call once.
func (c *sockCall) attemptOnce() bool {
	switch c.what {
	case callTCPRead:
		return c.tcpReadTry()
	case callTCPWrite:
		return c.tcpWriteTry()
	case callTCPAccept:
		return c.tcpAcceptTry()
	case callClose:
		return c.closeOnce()
	case callDial:
		return c.dialTry()
	}
	return c.try()
}

// run is the Op's Try: the call's try, and when it must wait, the deadline
// as it is now (see do).
func (c *sockCall) run() bool {
	if c.attemptOnce() {
		return true
	}
	c.op.Deadline = 0
	var d time.Time
	switch {
	case c.dl != nil:
		d = c.dl()
	case c.dlOf == dlRead:
		d = c.e.readDL()
	case c.dlOf == dlWrite:
		d = c.e.writeDL()
	case c.dlOf == dlDial:
		d = c.dial.dl
	}
	if !d.IsZero() {
		c.op.Deadline = max(d.Sub(c.e.env.Sim.Clock().Epoch()), 1)
	}
	return false
}

// opKey returns the key of the socket's next Op of kind.
func (e *endpoint) opKey(kind uint8) sim.Key {
	return sim.Key{Sock: e.key, Kind: kind, Seq: e.seq[kind].Add(1)}
}

// doAsync runs try as an Op whose caller does not wait for it in test mode
// (a Close, a buffered Write, a deadline): net/http calls them while
// holding locks that other goroutines wait for, and a goroutine waiting for
// a sync.Mutex does not count as blocked for synctest. In program mode it
// is do.
func (e *endpoint) doAsync(kind uint8, desc string, of sim.Describer, try func() bool) {
	e.doAsyncCall(kind, callOf(desc, of, 0), desc, of, try)
}

// doAsyncCall is doAsync for a call described by call.
func (e *endpoint) doAsyncCall(kind uint8, call sim.Call, desc string, of sim.Describer, try func() bool) {
	e.env.Sim.Do(&sim.Op{Desc: desc, Of: of, W: e.w, Key: e.opKey(kind), Try: try, Free: true, Async: true, Call: call})
}

// callOps names the socket call of each Op description (the first word
// of Desc).
var callOps = map[string]string{
	"Read": "read", "ReadFrom": "recvfrom", "Write": "write", "Flush": "write",
	"WriteTo": "sendto", "Close": "close", "Shutdown": "shutdown", "Accept": "accept",
	"Dial": "connect", "SetDeadline": "setdeadline", "socket": "socket",
}

// callOf describes an Op for explanations: the call named by desc (a
// setter's "SetNoDelay" is "setsockopt"), bytes, and of's addresses, which
// the driver formats only if it reports the call (sim.Call's Of): at every
// Read and Write they cost four allocations.
func callOf(desc string, of sim.Describer, bytes int) sim.Call {
	word, _, _ := strings.Cut(desc, " ")
	op, ok := callOps[word]
	if !ok {
		op = strings.ToLower(word)
		if strings.HasPrefix(word, "Set") {
			op = "setsockopt"
		}
	}
	c := sim.Call{Op: op, Bytes: bytes}
	if a, ok := of.(sim.Addresser); ok {
		c.Of = a
	}
	return c
}

// addrString is a's String, or "" for a nil address.
func addrString[A interface {
	*net.TCPAddr | *net.UDPAddr
	String() string
}](a A) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// closeSocket closes the socket: at once in program mode; in test mode
// without making the caller wait, once ready() reports true (a TCP
// connection first hands its buffered bytes to the stack). opErr builds the
// error of a second Close.
func (e *endpoint) closeSocket(desc string, of sim.Describer, ready func() bool, opErr func() error) error {
	return e.closeSocketCall(callOf(desc, of, 0), desc, of, ready, opErr)
}

// closeSocketCall is closeSocket for a call described by call ("close",
// or "abort" for a TCP connection with SO_LINGER 0).
func (e *endpoint) closeSocketCall(call sim.Call, desc string, of sim.Describer, ready func() bool, opErr func() error) error {
	if e.env.Sim.TestMode() {
		if !e.userClosed.CompareAndSwap(false, true) {
			return opErr()
		}
		e.doAsyncCall(kindCtl, call, desc, of, func() bool {
			if ready != nil && !e.gone() && !ready() {
				return false
			}
			if !e.closed {
				e.close()
			}
			return true
		})
		return nil
	}
	if e.closeProgram(call, desc, of) {
		return opErr()
	}
	return nil
}

// closeProgram is a program-mode Close: it closes the endpoint, as an Op,
// and reports whether it was closed already. (No closure: a Close per
// connection allocated two.)
func (e *endpoint) closeProgram(call sim.Call, desc string, of sim.Describer) (already bool) {
	c := e.newCall(kindCtl, call, desc, of)
	c.what = callClose
	ok := e.env.Sim.Do(&c.op)
	already = c.closed
	c.done(ok)
	return already
}

// closeOnce is the Try of closeProgram.
func (c *sockCall) closeOnce() bool {
	if c.e.closed {
		c.closed = true
	} else {
		c.e.close()
	}
	return true
}

// setOpt runs set, a socket option's setter, as an Op: options change what
// the stack does next, so they take effect at a fixed point of the run.
// opErr wraps an error as the socket's *net.OpError.
func (e *endpoint) setOpt(desc string, opErr func(error) error, set func() tcpip.Error) error {
	if e.userClosed.Load() {
		return opErr(net.ErrClosed)
	}
	var err error
	ok := e.do(kindCtl, desc, nil, nil, func() bool {
		if e.gone() {
			err = opErr(net.ErrClosed)
		} else if te := set(); te != nil {
			err = opErr(sysErr("setsockopt", te))
		}
		return true
	})
	if !ok {
		return opErr(e.env.Sim.CallErr())
	}
	return err
}

// gone reports whether calls on the socket must fail with net.ErrClosed:
// it was closed, or the simulation has stopped.
func (e *endpoint) gone() bool { return e.closed || e.env.Sim.Stopped() }

// expired reports whether deadline dl has passed on the virtual clock.
func (e *endpoint) expired(dl time.Time) bool {
	if dl.IsZero() {
		return false
	}
	now := e.env.Sim.Clock().Now()
	if e.env.Sim.TestMode() {
		// The bubble's clock: on the driver it equals the virtual clock; in
		// a caller's goroutine it may be ahead of the driver's last step.
		now = time.Now()
	}
	return !now.Before(dl)
}

// close releases the endpoint and wakes every call parked on it.
func (e *endpoint) close() {
	if e.onClose != nil {
		e.onClose.beforeClose()
	}
	e.closed = true
	e.wq.EventUnregister(&e.entry)
	e.ep.Close()
	e.w.Notify()
}

// setDeadline updates the deadlines as an Op, so that a call parked in
// another task sees the change at once (net/http aborts a blocked Read this
// way, with a deadline in the past). It reports whether Close has closed
// the socket: package net's setters then fail, and the deadlines are left.
func (e *endpoint) setDeadline(read, write bool, t time.Time) (closed bool) {
	if e.userClosed.Load() { // test mode
		return true
	}
	e.dmu.Lock()
	if read {
		e.readDeadline = t
	}
	if write {
		e.writeDeadline = t
	}
	e.dmu.Unlock()
	if e.env.Sim.TestMode() {
		// The Op may run after doAsync returns: userClosed has answered.
		e.doAsync(kindCtl, "SetDeadline", nil, func() bool {
			e.w.Notify()
			return true
		})
		return false
	}
	e.doAsync(kindCtl, "SetDeadline", nil, func() bool {
		closed = e.closed
		e.w.Notify()
		return true
	})
	return closed
}

// readDL returns the read deadline.
func (e *endpoint) readDL() time.Time {
	e.dmu.Lock()
	defer e.dmu.Unlock()
	return e.readDeadline
}

// writeDL returns the write deadline.
func (e *endpoint) writeDL() time.Time {
	e.dmu.Lock()
	defer e.dmu.Unlock()
	return e.writeDeadline
}

func fullToTCP(a tcpip.FullAddress) *net.TCPAddr {
	return &net.TCPAddr{IP: net.IP(a.Addr.AsSlice()), Port: int(a.Port)}
}

func fullToUDP(a tcpip.FullAddress) *net.UDPAddr {
	return &net.UDPAddr{IP: net.IP(a.Addr.AsSlice()), Port: int(a.Port)}
}
