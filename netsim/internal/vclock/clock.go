// Package vclock is netsim's virtual clock: a time that only the simulation
// advances, and a queue of events ordered by (due time, sequence number).
//
// Nothing here runs a goroutine or reads the wall clock. Events fire only when
// the simulator's driver pops them, one at a time, so two runs that schedule
// the same events in the same order fire them in the same order, even when
// several are due at the same instant (a case where gVisor's own
// faketime.ManualClock fires in map order).
package vclock

import (
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
)

// Clock is a virtual clock with an event queue. Its methods are safe for
// concurrent use: gVisor arms timers from its own goroutines.
type Clock struct {
	mu    sync.Mutex
	epoch time.Time
	now   time.Duration // time elapsed since epoch
	mono  time.Duration // the last monotonic reading given to a stack
	prev  time.Duration // mono before that reading
	// running is the event the driver runs (RunEvent), reads the
	// monotonic readings taken since it began.
	running *Event
	reads   int
	// inherit, if set, gives what a stack timer armed for no time at all
	// inherits (SetInherit).
	inherit func() any
	seq     uint64
	queue   eventHeap
	free    []*Event // events of Post, for reuse once run (see Release)
}

// New returns a clock that reads epoch until it is advanced.
func New(epoch time.Time) *Clock {
	return &Clock{epoch: epoch, mono: -1}
}

// Epoch returns the instant the clock started at.
func (c *Clock) Epoch() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// monotonic returns the virtual time for a stack's monotonic clock: the
// elapsed time, but one nanosecond later than the previous reading if the
// clock has not moved since. Every reading is distinct, in the order the
// (serialised) stacks take them, as on a machine where sending a segment
// takes time. gVisor's RACK loss detection needs it: it orders segments by
// send time and, among segments sent at one instant, breaks the tie the
// wrong way round (tcp/rack.go), declaring lost every segment of a burst
// sent after the last one acknowledged.
func (c *Clock) monotonic() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prev = c.mono
	c.reads++
	c.mono = max(c.now, c.mono+1)
	return c.mono
}

// TakeBack takes back a stack's monotonic reading r if it is the last one
// given: the next reading is then the one r was. An observer that reads
// the stack's clock (gVisor's TCP probe stamps the state it reports) then
// changes none of the readings the stacks take after it. A reading that is
// not the last is left alone.
func (c *Clock) TakeBack(r tcpip.MonotonicTime) {
	d := r.Sub(tcpip.MonotonicTime{})
	c.mu.Lock()
	if c.mono == d && c.prev < d {
		c.mono = c.prev
	}
	c.mu.Unlock()
}

// Rebase moves the epoch so that the clock reads now, keeping the elapsed
// time: test mode makes the virtual clock read the synctest bubble's.
func (c *Clock) Rebase(now time.Time) {
	c.mu.Lock()
	c.epoch = now.Add(-c.now)
	c.mu.Unlock()
}

// Elapsed returns the virtual time elapsed since the epoch.
func (c *Clock) Elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Now returns the current virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch.Add(c.now)
}

// Event is a function scheduled to run at a virtual instant.
type Event struct {
	at     time.Duration
	seq    uint64
	index  int // position in the heap, -1 when not queued
	owner  int
	fn     func()
	argFn  func(any)
	arg    any
	pooled bool          // from Post: Release may reuse it
	timer  bool          // a stack timer's (Stack's AfterFunc)
	armed  time.Duration // the timer's last arming (guarded by the clock's mu)
	// inherited is what inherit gave when the timer was armed for no time
	// (guarded by the clock's mu).
	inherited any
}

// At returns the virtual time (since the epoch) the event is due at.
func (e *Event) At() time.Duration { return e.at }

// Owner returns the owner tag given to Schedule.
func (e *Event) Owner() int { return e.owner }

// SetInherit sets a function whose result a stack timer armed for no time
// (AfterFunc(0), Reset(0)) carries until it fires: gVisor defers work
// that way (sending the first ARP request, sending the packets that waited
// for a neighbour's address), and such work belongs to the step that
// deferred it. It is called while the timer is armed, without the clock's
// lock held. nil turns it off.
func (c *Clock) SetInherit(f func() any) {
	c.mu.Lock()
	c.inherit = f
	c.mu.Unlock()
}

// inheritFor returns what a timer armed for d inherits.
func (c *Clock) inheritFor(d time.Duration) any {
	c.mu.Lock()
	f := c.inherit
	c.mu.Unlock()
	if f == nil || d > 0 {
		return nil
	}
	return f()
}

// Inherited returns what the stack timer e inherited when it was armed for
// no time (see SetInherit), or nil.
func (c *Clock) Inherited(e *Event) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return e.inherited
}

// Timer reports whether e is a stack's timer (made by the AfterFunc of
// [Clock.Stack]) and the duration it was armed with (by AfterFunc or
// Reset). gVisor's TCP timers are lazy (tcp/timer.go): a timer that fires
// before its target (a few nanoseconds early, as the stacks' monotonic
// readings run ahead of the virtual time by a nanosecond per reading; or
// much earlier, when it was restarted for later without moving its clock
// timer) reads the clock once and re-arms itself for the rest. Such a
// re-arming, made in the timer's own callback after exactly one reading,
// for less than a microsecond keeps the duration of the arming before it
// (for TCP's retransmission timer, the RTO); for longer (the target was
// moved, by an arming the clock never saw) armed is 0: not known.
func (c *Clock) Timer(e *Event) (armed time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return e.armed, e.timer
}

// RunEvent runs e, an event PopDue returned, as the driver's step: a stack
// timer that re-arms itself from its own callback right after reading the
// clock once (gVisor's TCP timers, woken a few nanoseconds early, see
// Timer) keeps the duration it was first armed with.
func (c *Clock) RunEvent(e *Event) {
	c.mu.Lock()
	c.running, c.reads = e, 0
	c.mu.Unlock()
	e.Run()
	c.mu.Lock()
	c.running = nil
	c.mu.Unlock()
}

// Run calls the event's function.
func (e *Event) Run() {
	if e.argFn != nil {
		e.argFn(e.arg)
		return
	}
	e.fn()
}

// Schedule queues fn to run d after the current virtual time (d < 0 counts as
// 0). owner is an opaque tag the driver can read back (netsim uses it to know
// which host an event touches).
func (c *Clock) Schedule(d time.Duration, owner int, fn func()) *Event {
	e := &Event{owner: owner, fn: fn, index: -1}
	c.mu.Lock()
	c.pushLocked(e, d)
	c.mu.Unlock()
	return e
}

// Post is Schedule for an event nobody will cancel or look at: the caller
// gets no handle, and the driver hands the event back with Release once it
// has run, for a later Post to reuse (no allocation per event).
func (c *Clock) Post(d time.Duration, owner int, fn func()) {
	c.mu.Lock()
	e := c.newLocked()
	e.owner, e.fn = owner, fn
	c.pushLocked(e, d)
	c.mu.Unlock()
}

// PostArg is Post for a function of one argument: fn(arg) runs at d from
// now. A method value made once and a pointer-shaped arg cost no
// allocation, where a closure would.
func (c *Clock) PostArg(d time.Duration, owner int, fn func(any), arg any) {
	c.mu.Lock()
	e := c.newLocked()
	e.owner, e.argFn, e.arg = owner, fn, arg
	c.pushLocked(e, d)
	c.mu.Unlock()
}

func (c *Clock) newLocked() *Event {
	if n := len(c.free); n > 0 {
		e := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		return e
	}
	return &Event{index: -1, pooled: true}
}

// Release hands back an event that PopDue returned and that has run. An
// event from Post or PostArg is reused by a later one; any other is left
// alone.
func (c *Clock) Release(e *Event) {
	if !e.pooled || e.index >= 0 {
		return
	}
	e.fn, e.argFn, e.arg, e.owner = nil, nil, nil, 0
	c.mu.Lock()
	c.free = append(c.free, e)
	c.mu.Unlock()
}

func (c *Clock) pushLocked(e *Event, d time.Duration) {
	if d < 0 {
		d = 0
	}
	c.seq++
	e.at = c.now + d
	e.seq = c.seq
	c.queue.push(e)
}

// Cancel removes e from the queue. It reports whether e was still queued.
func (c *Clock) Cancel(e *Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.index < 0 {
		return false
	}
	c.queue.remove(e.index)
	return true
}

// Reschedule moves e (queued or not) to d after the current virtual time,
// behind every event already due at that instant.
func (c *Clock) Reschedule(e *Event, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.index >= 0 {
		c.queue.remove(e.index)
	}
	c.pushLocked(e, d)
}

// PopDue removes and returns the earliest event due at or before the current
// virtual time, or nil if none is due.
func (c *Clock) PopDue() *Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 || c.queue[0].at > c.now {
		return nil
	}
	return c.queue.remove(0)
}

// Next returns the due time of the earliest queued event.
func (c *Clock) Next() (at time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return 0, false
	}
	return c.queue[0].at, true
}

// Pending returns the number of queued events.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// AdvanceTo moves the clock forward to at (since the epoch). It never moves
// the clock backward.
func (c *Clock) AdvanceTo(at time.Duration) {
	c.mu.Lock()
	if at > c.now {
		c.now = at
	}
	c.mu.Unlock()
}

// Stack returns a tcpip.Clock for one gVisor stack. Its timers are events
// tagged with owner; they run when the driver pops them, on the driver's
// goroutine, never on their own.
func (c *Clock) Stack(owner int) tcpip.Clock { return stackClock{c, owner} }

type stackClock struct {
	c     *Clock
	owner int
}

func (s stackClock) Now() time.Time { return s.c.Now() }

func (s stackClock) NowMonotonic() tcpip.MonotonicTime {
	return tcpip.MonotonicTime{}.Add(s.c.monotonic())
}

func (s stackClock) AfterFunc(d time.Duration, f func()) tcpip.Timer {
	in := s.c.inheritFor(d)
	t := &timer{c: s.c, e: Event{owner: s.owner, fn: f, index: -1, timer: true, armed: d, inherited: in}}
	s.c.mu.Lock()
	s.c.pushLocked(&t.e, d)
	s.c.mu.Unlock()
	return t
}

// skew bounds how far ahead of the virtual time the stacks' monotonic
// readings run (a nanosecond per reading at one instant): a timer re-armed
// for less than that was woken early by it, not by a moved target.
const skew = time.Microsecond

// timer implements tcpip.Timer over an Event (one allocation for both).
type timer struct {
	c *Clock
	e Event
}

func (t *timer) Stop() bool { return t.c.Cancel(&t.e) }

func (t *timer) Reset(d time.Duration) {
	c := t.c
	in := c.inheritFor(d)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.running != &t.e || c.reads != 1:
		t.e.armed = d
		t.e.inherited = in
	case d >= skew:
		// Woken early by a target moved later: the duration of the
		// arming that set that target is not known here.
		t.e.armed = 0
	}
	if t.e.index >= 0 {
		c.queue.remove(t.e.index)
	}
	c.pushLocked(&t.e, d)
}

// eventHeap orders events by due time, then by the order they were
// scheduled: a 4-ary heap (each node's children are 4i+1..4i+4), as
// container/heap's binary one without its interface calls. The order is
// total, so the events come out in the same order whatever the heap's
// shape; four children a node halve its depth (10,000 connections keep
// tens of thousands of timers queued, and sifting down was 2% of a run).
type eventHeap []*Event

func (h eventHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (h eventHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *eventHeap) push(e *Event) {
	e.index = len(*h)
	*h = append(*h, e)
	h.up(e.index)
}

// remove removes and returns the element at index i.
func (h *eventHeap) remove(i int) *Event {
	n := len(*h) - 1
	if n != i {
		h.swap(i, n)
		if !h.down(i, n) {
			h.up(i)
		}
	}
	old := *h
	e := old[n]
	old[n] = nil
	e.index = -1
	*h = old[:n]
	return e
}

func (h eventHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 4 // parent
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

// down sifts the element at i0 down among the first n; it reports whether
// it moved.
func (h eventHeap) down(i0, n int) bool {
	i := i0
	for {
		first := 4*i + 1
		if first >= n || first < 0 {
			break
		}
		j := first // the least child
		for c := first + 1; c < min(first+4, n); c++ {
			if h.less(c, j) {
				j = c
			}
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
