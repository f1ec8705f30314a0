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
	"container/heap"
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
	seq   uint64
	queue eventHeap
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
	c.mono = max(c.now, c.mono+1)
	return c.mono
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
	at    time.Duration
	seq   uint64
	index int // position in the heap, -1 when not queued
	owner int
	fn    func()
}

// At returns the virtual time (since the epoch) the event is due at.
func (e *Event) At() time.Duration { return e.at }

// Owner returns the owner tag given to Schedule.
func (e *Event) Owner() int { return e.owner }

// Run calls the event's function.
func (e *Event) Run() { e.fn() }

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

func (c *Clock) pushLocked(e *Event, d time.Duration) {
	if d < 0 {
		d = 0
	}
	c.seq++
	e.at = c.now + d
	e.seq = c.seq
	heap.Push(&c.queue, e)
}

// Cancel removes e from the queue. It reports whether e was still queued.
func (c *Clock) Cancel(e *Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.index < 0 {
		return false
	}
	heap.Remove(&c.queue, e.index)
	return true
}

// Reschedule moves e (queued or not) to d after the current virtual time,
// behind every event already due at that instant.
func (c *Clock) Reschedule(e *Event, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.index >= 0 {
		heap.Remove(&c.queue, e.index)
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
	return heap.Pop(&c.queue).(*Event)
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
	return &timer{c: s.c, e: s.c.Schedule(d, s.owner, f)}
}

// timer implements tcpip.Timer over an Event.
type timer struct {
	c *Clock
	e *Event
}

func (t *timer) Stop() bool { return t.c.Cancel(t.e) }

func (t *timer) Reset(d time.Duration) { t.c.Reschedule(t.e, d) }

// eventHeap orders events by due time, then by the order they were scheduled.
type eventHeap []*Event

func (h eventHeap) Len() int { return len(h) }

func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h eventHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *eventHeap) Push(x any) {
	e := x.(*Event)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *eventHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.index = -1
	*h = old[:n-1]
	return e
}
