package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing/synctest"
	"time"
)

// Test mode: the driver runs inside a testing/synctest bubble, beside user
// code that runs in goroutines of its own (net/http's, say). It cannot hand
// a baton to one task at a time as in program mode, so each step begins
// with synctest.Wait, which returns when every other goroutine in the
// bubble is durably blocked: waiting for an Op, on a channel, in
// time.Sleep. Time is the bubble's fake time: the driver sleeps on a bubble
// timer until the next event, and the runtime advances the clock when
// everything is blocked.
//
// Ops arrive from many goroutines at once, so the driver orders the Ops of
// one step by Key, and completes them one at a time: it wakes one caller,
// then waits until that caller blocks again, as in program mode.

// Key orders Ops that reach the driver in the same step: by socket, then by
// kind of operation, then by the socket's count of operations of that kind.
type Key struct {
	// Sock names the socket; sockets made at the same instant from
	// different goroutines need names that do not depend on which goroutine
	// ran first (see netsim's rules for test mode).
	Sock string
	// Kind separates reads, writes and other calls on one socket.
	Kind uint8
	// Seq counts the socket's Ops of this kind.
	Seq uint64
}

func (a Key) less(b Key) bool {
	if a.Sock != b.Sock {
		return a.Sock < b.Sock
	}
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.Seq < b.Seq
}

// testState is the driver's state in test mode.
type testState struct {
	queue   []*Op         // submitted, not yet taken (guarded by dirtyMu)
	pending opHeap        // taken, not yet served, by Key (driver only)
	kick    chan struct{} // wakes a sleeping driver
	stop    chan struct{}
	done    chan error
	base    time.Time     // bubble time when the driver started
	elapsed time.Duration // virtual time then
	stopped atomic.Bool   // every socket is closed for good (set by the driver)
	failed  error         // the deadlock found, reported by stop
	// stepMu is held by the driver while it takes a step, and released
	// while it waits (in synctest.Wait, or asleep until its next event):
	// Parked takes it to read the parked calls from outside the bubble.
	stepMu sync.Mutex
	// window counts the driver's returns from synctest.Wait: the callers
	// that run between two of them see the same count (see CallerTag).
	window atomic.Uint64
}

// Parked returns the calls parked now, for a report made from outside the
// bubble (a watchdog that sees no progress). It waits while the driver is
// taking a step; ok is false when the driver is not running in test mode.
func (s *Sim) Parked() (calls []BlockedCall, at time.Duration, ok bool) {
	if !s.testMode.Load() {
		return nil, 0, false
	}
	s.test.stepMu.Lock()
	defer s.test.stepMu.Unlock()
	return s.parkedCalls(), s.clock.Elapsed(), true
}

// ErrStopped is the error of an Op made after the driver stopped.
var ErrStopped = errors.New("netsim: the simulation has stopped")

// ErrNoBubble is the error of Start called outside a testing/synctest
// bubble.
var ErrNoBubble = errors.New("netsim: Start must be called inside a testing/synctest bubble (synctest.Test; netsimtest.Run does it)")

// inBubble reports whether the calling goroutine belongs to a synctest
// bubble: the runtime's header of its stack trace says so ("goroutine 7
// [running, synctest bubble 1]:"), a probe with no side effect (calling
// synctest.Wait to see if it panics would wait for the bubble's other
// goroutines).
func inBubble() bool {
	var buf [256]byte
	header, _, _ := strings.Cut(string(buf[:runtime.Stack(buf[:], false)]), "\n")
	return bubbleOf(header) != ""
}

// Stopped reports whether a test-mode driver has stopped: calls then fail.
func (s *Sim) Stopped() bool { return s.test.stopped.Load() }

// TestMode reports whether the driver runs in test mode.
func (s *Sim) TestMode() bool { return s.testMode.Load() }

// Start starts the driver in test mode, on a goroutine of the current
// testing/synctest bubble. The virtual clock then follows the bubble's
// clock. stop ends the run: the driver lets the network settle for linger
// of virtual time (connections finish closing), fails every call still
// parked with net.ErrClosed as an exiting process's sockets are closed, and
// returns once its goroutine has exited.
func (s *Sim) Start(linger time.Duration) (stop func() error, err error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("netsim: Start after Close: %w", ErrStopped)
	}
	if s.running.Load() || s.testMode.Load() {
		return nil, errors.New("netsim: Start: the simulation is running already")
	}
	if !inBubble() {
		return nil, ErrNoBubble
	}
	t := &s.test
	t.kick = make(chan struct{}, 1)
	t.stop = make(chan struct{})
	t.done = make(chan error, 1)
	t.base = time.Now()
	t.elapsed = s.clock.Elapsed()
	s.clock.Rebase(t.base)
	s.running.Store(true)
	s.testMode.Store(true)
	go s.drive(linger)
	var once bool
	return func() error {
		if !once {
			once = true
			close(t.stop)
		}
		return <-t.done
	}, nil
}

// Wake is Notify for a caller's goroutine: in test mode it also wakes a
// driver that sleeps until its next event. (gVisor's callbacks must use
// Notify: they run outside the bubble, and touching the bubble's channel
// from there is fatal; they run during a step, when the driver is awake.)
func (w *Waitable) Wake() {
	w.Notify()
	if w.s.testMode.Load() {
		select {
		case w.s.test.kick <- struct{}{}:
		default:
		}
	}
}

// now is the virtual time the bubble's clock gives.
func (s *Sim) now() time.Duration { return s.test.elapsed + time.Since(s.test.base) }

// submit hands op to the driver and waits for it unless it is Async.
func (s *Sim) submit(op *Op) bool {
	if !op.Async {
		op.task = &task{wake: make(chan struct{}, 1)}
	}
	s.dirtyMu.Lock()
	s.test.queue = append(s.test.queue, op)
	s.dirtyMu.Unlock()
	select {
	case s.test.kick <- struct{}{}:
	default:
	}
	if op.task != nil {
		<-op.task.wake
	}
	return !op.aborted
}

func (s *Sim) drive(linger time.Duration) {
	t := &s.test
	stopping := false
	var stopAt time.Duration
	t.stepMu.Lock()
	defer t.stepMu.Unlock()
	for {
		t.stepMu.Unlock()
		synctest.Wait()
		t.window.Add(1)
		t.stepMu.Lock()
		s.clock.AdvanceTo(s.now())
		s.dirtyMu.Lock()
		for _, op := range t.queue {
			heap.Push(&t.pending, op)
		}
		t.queue = t.queue[:0]
		s.dirtyMu.Unlock()

		if s.retryDirty() {
			continue
		}
		if s.runDueEvent() {
			continue
		}
		if t.pending.Len() > 0 {
			op := heap.Pop(&t.pending).(*Op)
			if op.Sleep > 0 {
				s.clock.PostArg(op.Sleep, 0, s.ready, op.task)
			} else {
				s.serve(op)
			}
			continue
		}
		if s.runq.len() > 0 {
			t := s.runq.pop()
			t.wake <- struct{}{}
			continue
		}
		if !stopping {
			select {
			case <-t.stop:
				stopping, stopAt = true, s.clock.Elapsed()
			default:
			}
		}
		next, ok := s.clock.Next()
		if stopping && (!ok || next > stopAt+linger) {
			if !t.stopped.Load() {
				// Close every socket for good: parked calls fail, and so
				// does every later call.
				t.stopped.Store(true)
				for op := range s.parked {
					op.W.Notify()
				}
				continue
			}
			s.running.Store(false)
			s.testMode.Store(false)
			t.done <- t.failed
			return
		}
		var timer *time.Timer
		var fire <-chan time.Time
		horizon := false
		if ok {
			timer = time.NewTimer(next - s.clock.Elapsed())
			fire = timer.C
		} else if !stopping && !t.stopped.Load() && s.waiting() {
			// Nothing of netsim's can ever happen again, but the bubble's
			// other timers may wake someone who calls netsim: sleep until
			// the horizon. The runtime moves the bubble's clock there only
			// if every goroutine is durably blocked and no timer is due
			// before it: then nothing can ever happen at all.
			timer = time.NewTimer(deadlockHorizon)
			fire = timer.C
			horizon = true
		}
		stopCh := t.stop
		if stopping {
			stopCh = nil
		}
		fired := false
		t.stepMu.Unlock()
		select {
		case <-t.kick:
		case <-fire:
			fired = true
		case <-stopCh:
		}
		t.stepMu.Lock()
		if fired && horizon {
			s.testDeadlock()
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// deadlockHorizon is how far a test-mode driver with calls parked and no
// event pending lets the bubble's clock go before it calls it a deadlock: a
// virtual century, beyond any timer a test sets, so that reaching it means
// that every goroutine of the bubble is blocked for good.
const deadlockHorizon = 100 * 365 * 24 * time.Hour

// waiting reports whether a goroutine waits for a parked call (an Async
// call, a Close, has nobody waiting).
func (s *Sim) waiting() bool {
	for op := range s.parked {
		if op.task != nil {
			return true
		}
	}
	return false
}

// testDeadlock handles a test-mode deadlock: every goroutine of the bubble
// is blocked for good, some in netsim calls. It records the report (stop
// returns it) and fails every parked call, and every later one, with
// net.ErrClosed, so that the test can go on to its end and fail there.
func (s *Sim) testDeadlock() {
	t := &s.test
	s.dirtyMu.Lock()
	busy := len(t.queue) > 0 || len(s.dirty) > 0
	s.dirtyMu.Unlock()
	if busy {
		return // a call came in at the same instant: not a deadlock
	}
	e := &DeadlockError{At: s.clock.Elapsed(), Calls: s.parkedCalls()}
	e.Blocked = lastParked(e.Calls)
	var buf [256]byte
	header, _, _ := strings.Cut(string(buf[:runtime.Stack(buf[:], false)]), "\n")
	me, state, _ := strings.Cut(strings.TrimPrefix(header, "goroutine "), " ")
	bubble := bubbleOf(state)
	for _, g := range stacks() {
		if g.ID != me && bubbleOf(g.State) == bubble && !synctestOwn(g.Stack) {
			e.Goroutines = append(e.Goroutines, g)
		}
	}
	t.failed = e
	if s.OnDeadlock != nil {
		s.OnDeadlock()
	}
	t.stopped.Store(true)
	for op := range s.parked {
		op.W.Notify()
	}
}

// synctestOwn reports whether a goroutine whose stack is stack is one of
// testing/synctest's own, waiting for the test to end.
func synctestOwn(stack string) bool {
	return strings.HasPrefix(stack, "internal/synctest.Run(") || strings.HasPrefix(stack, "testing/synctest.testingSynctestTest(")
}

// bubbleOf returns the synctest bubble named in a goroutine's state
// ("chan receive (durable), synctest bubble 3" gives "3"), or "".
func bubbleOf(state string) string {
	_, b, ok := strings.Cut(state, ", synctest bubble ")
	if !ok {
		return ""
	}
	end := 0
	for end < len(b) && b[end] >= '0' && b[end] <= '9' {
		end++
	}
	return b[:end]
}

// opHeap orders pending Ops by Key.
type opHeap []*Op

func (h opHeap) Len() int           { return len(h) }
func (h opHeap) Less(i, j int) bool { return h[i].Key.less(h[j].Key) }
func (h opHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *opHeap) Push(x any)        { *h = append(*h, x.(*Op)) }
func (h *opHeap) Pop() any {
	old := *h
	op := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return op
}
