// Package sim is netsim's driver: the one goroutine that runs the simulation,
// one step at a time, on a virtual clock.
//
// A step is one of: running one due event (a frame arriving, a stack timer, a
// sleeping task's wake-up), retrying the operations parked on a socket that
// became ready, or resuming one application task until it makes its next
// netsim call. User code never touches the network stacks: every socket call
// is an Op that the driver executes on its own goroutine. Application tasks
// run one at a time and hand control back at every Op, so the driver always
// knows that all user code is blocked before it takes the next step.
//
// The driver advances the clock only when nothing is due and no task can run,
// straight to the next event: a simulated two-second timeout costs no wall
// time.
package sim

import (
	"cmp"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"netsim.dev/netsim/internal/vclock"
)

// ErrNotRunning is returned for a call that would block while the simulation
// is not running (for example a Dial before Run, or from a goroutine that is
// not a task).
var ErrNotRunning = errors.New("netsim: blocking call outside a running simulation (start it as a task with Go, then call Run)")

// Sim drives a simulation. Create it with New.
type Sim struct {
	clock *vclock.Clock

	// inbox carries the running task's next Op to the driver; nil means the
	// task has returned.
	inbox chan *Op
	// runq holds the tasks ready to run, in the order they became ready: each
	// is the channel that resumes it.
	runq []chan struct{}

	dirtyMu    sync.Mutex
	dirty      []*Waitable
	dirtySpare []*Waitable // dirty's next buffer (retryDirty reuses them)
	retry      []*Op       // retryDirty's copy of a Waitable's parked Ops

	parked map[*Op]struct{}

	// ready puts a task (its wake channel) at the end of runq: the
	// function of the events that end a Sleep or a call's CallTime.
	ready func(wake any)

	// AfterEvent, if set, is called after each event with the event's owner
	// tag (netsim uses it to wait until the host whose timer fired has
	// finished reacting).
	AfterEvent func(owner int)

	// CallTime is the virtual time a call takes: a task resumes that long
	// after its Op completes, as a program resumes some microseconds after
	// a system call on a real machine.
	CallTime time.Duration

	running   bool
	testMode  atomic.Bool
	test      testState
	live      int // tasks started and not yet returned
	nextID    uint64
	taskPanic error
}

// New returns a driver on clock.
func New(clock *vclock.Clock) *Sim {
	s := &Sim{
		clock:  clock,
		inbox:  make(chan *Op),
		parked: make(map[*Op]struct{}),
	}
	s.ready = func(wake any) { s.runq = append(s.runq, wake.(chan struct{})) }
	return s
}

// Clock returns the driver's virtual clock.
func (s *Sim) Clock() *vclock.Clock { return s.clock }

// Running reports whether Run is in progress.
func (s *Sim) Running() bool { return s.running }

// Go starts fn as a task. Tasks run one at a time, in the order they became
// ready; a task runs until its next netsim call (or until it returns).
func (s *Sim) Go(name string, fn func()) {
	start := make(chan struct{})
	s.live++
	s.runq = append(s.runq, start)
	go func() {
		<-start
		defer func() {
			if r := recover(); r != nil && s.taskPanic == nil {
				s.taskPanic = fmt.Errorf("task %q panicked: %v\n%s", name, r, debug.Stack())
			}
			s.inbox <- nil
		}()
		fn()
	}()
}

// Op is one operation executed by the driver on behalf of a task: a socket
// call, a sleep.
type Op struct {
	// Desc names the operation in a deadlock report ("Read 127.0.0.1:24000").
	Desc string
	// Of, when set, names what the operation acts on: a deadlock report
	// shows Desc, a space and Of.Describe(), built only then (a socket
	// call costs no string).
	Of Describer
	// Try attempts the operation on the driver's goroutine. It returns true
	// when the operation is complete (successfully or not), false when it
	// must wait until W is notified.
	Try func() bool
	// W is what the operation waits on when Try returns false.
	W *Waitable
	// Deadline, when non-zero, is the virtual time (since the epoch) at which
	// the driver notifies W so that Try can report a timeout.
	Deadline time.Duration
	// Sleep, when positive, makes the Op complete after that much virtual
	// time; Try and W are then unused.
	Sleep time.Duration
	// Free Ops resume their task without the driver's CallTime.
	Free bool
	// Key orders the Ops that reach the driver at the same step in test
	// mode, where they come from goroutines that run at the same time.
	Key Key
	// Async Ops do not make their caller wait (test mode only: a Write that
	// fits in the socket buffer, a Close). Program mode ignores it.
	Async bool

	wake     chan struct{}
	deadline *vclock.Event
}

// Describer names what an Op acts on ("tcp 10.0.0.1:49152->10.0.0.2:80").
type Describer interface{ Describe() string }

// desc returns the Op's description for a deadlock report.
func (op *Op) desc() string {
	if op.Of != nil {
		return op.Desc + " " + op.Of.Describe()
	}
	return op.Desc
}

// Do executes op and returns when it is complete. Called from a task, it
// hands control to the driver and waits for its turn to run again. Called
// while the simulation is not running, op must complete at once: a call that
// would block reports false, and the caller must fail with ErrNotRunning.
func (s *Sim) Do(op *Op) bool {
	if s.testMode.Load() {
		return s.submit(op)
	}
	if !s.running {
		return op.Sleep <= 0 && op.Try()
	}
	op.wake = make(chan struct{})
	s.inbox <- op
	<-op.wake
	return true
}

// Waitable is something operations wait on: a socket. Notify marks it ready
// for its parked operations to be tried again.
type Waitable struct {
	s      *Sim
	id     uint64
	dirty  bool
	parked []*Op
}

// NewWaitable returns a Waitable. When several become ready in one step they
// are retried in the order they first had an Op parked on them (an order
// the driver alone decides, so any goroutine may create a Waitable).
func (s *Sim) NewWaitable() *Waitable {
	return &Waitable{s: s}
}

// Notify marks w ready. It is safe to call from any goroutine (gVisor's waiter
// callbacks run on its processor goroutines); the driver retries w's parked
// operations after the current step.
func (w *Waitable) Notify() {
	s := w.s
	s.dirtyMu.Lock()
	if !w.dirty && len(w.parked) > 0 {
		w.dirty = true
		s.dirty = append(s.dirty, w)
	}
	s.dirtyMu.Unlock()
}

// Run drives the simulation until every task has returned and the network
// has been quiet for linger of virtual time (or has nothing left to do). It
// returns an error if the tasks deadlock (all blocked with nothing pending)
// or a task panics.
func (s *Sim) Run(linger time.Duration) error {
	if s.running {
		return errors.New("netsim: Run called while running")
	}
	s.running = true
	defer func() { s.running = false }()
	quietSince := s.clock.Elapsed()
	for {
		if s.taskPanic != nil {
			return s.taskPanic
		}
		if s.retryDirty() {
			continue
		}
		if s.runDueEvent() {
			continue
		}
		if len(s.runq) > 0 {
			s.resumeNext()
			if s.live == 0 {
				quietSince = s.clock.Elapsed()
			}
			continue
		}
		next, ok := s.clock.Next()
		if !ok {
			if s.live > 0 {
				return s.deadlock()
			}
			return nil
		}
		if s.live == 0 && next > quietSince+linger {
			return nil
		}
		s.clock.AdvanceTo(next)
	}
}

// runDueEvent runs the earliest event due now, if any, and reports whether
// there was one.
func (s *Sim) runDueEvent() bool {
	ev := s.clock.PopDue()
	if ev == nil {
		return false
	}
	ev.Run()
	if s.AfterEvent != nil {
		s.AfterEvent(ev.Owner())
	}
	s.clock.Release(ev)
	return true
}

// resumeNext runs the first ready task until its next Op, then serves that Op.
func (s *Sim) resumeNext() {
	ch := s.runq[0]
	s.runq[0] = nil
	s.runq = s.runq[1:]
	ch <- struct{}{}
	op := <-s.inbox
	if op == nil {
		s.live--
		return
	}
	s.serve(op)
}

func (s *Sim) serve(op *Op) {
	if op.Sleep > 0 {
		s.clock.PostArg(op.Sleep, 0, s.ready, op.wake)
		return
	}
	if op.Try() {
		s.complete(op)
		return
	}
	s.park(op)
}

func (s *Sim) complete(op *Op) {
	if op.wake == nil {
		return // an Async Op: nobody waits for it
	}
	if op.Free || s.CallTime <= 0 {
		s.runq = append(s.runq, op.wake)
		return
	}
	s.clock.PostArg(s.CallTime, 0, s.ready, op.wake)
}

func (s *Sim) park(op *Op) {
	w := op.W
	if w.id == 0 {
		s.nextID++
		w.id = s.nextID
	}
	s.dirtyMu.Lock()
	w.parked = append(w.parked, op)
	s.dirtyMu.Unlock()
	s.parked[op] = struct{}{}
	s.armDeadline(op)
}

func (s *Sim) armDeadline(op *Op) {
	if op.Deadline == 0 {
		return
	}
	if op.deadline != nil {
		s.clock.Cancel(op.deadline)
	}
	w := op.W
	op.deadline = s.clock.Schedule(op.Deadline-s.clock.Elapsed(), 0, w.Notify)
}

// retryDirty retries the parked operations of every Waitable notified since
// the last step. It reports whether there was any.
func (s *Sim) retryDirty() bool {
	s.dirtyMu.Lock()
	if len(s.dirty) == 0 {
		s.dirtyMu.Unlock()
		return false
	}
	dirty := s.dirty
	s.dirty = s.dirtySpare[:0]
	s.dirtySpare = nil
	for _, w := range dirty {
		w.dirty = false
	}
	s.dirtyMu.Unlock()
	// Ids are distinct: the order is total.
	slices.SortFunc(dirty, func(a, b *Waitable) int { return cmp.Compare(a.id, b.id) })
	for _, w := range dirty {
		s.dirtyMu.Lock()
		ops := append(s.retry[:0], w.parked...)
		s.dirtyMu.Unlock()
		for _, op := range ops {
			if !op.Try() {
				s.armDeadline(op)
				continue
			}
			s.dirtyMu.Lock()
			w.parked = slices.DeleteFunc(w.parked, func(o *Op) bool { return o == op })
			s.dirtyMu.Unlock()
			delete(s.parked, op)
			if op.deadline != nil {
				s.clock.Cancel(op.deadline)
				op.deadline = nil
			}
			s.complete(op)
		}
		clear(ops)
		s.retry = ops[:0]
	}
	clear(dirty)
	s.dirtyMu.Lock()
	s.dirtySpare = dirty[:0]
	s.dirtyMu.Unlock()
	return true
}

// DeadlockError reports tasks that can never run again.
type DeadlockError struct {
	// At is the virtual time since the epoch when the deadlock was found.
	At time.Duration
	// Blocked describes the operations the tasks are blocked in.
	Blocked []string
}

// Error implements error.
func (e *DeadlockError) Error() string {
	return fmt.Sprintf("netsim: deadlock at %v: every task is blocked and nothing is pending: %s",
		e.At, strings.Join(e.Blocked, "; "))
}

func (s *Sim) deadlock() error {
	var blocked []string
	for op := range s.parked {
		blocked = append(blocked, op.desc())
	}
	sort.Strings(blocked)
	if n := s.live - len(blocked); n > 0 {
		blocked = append(blocked, fmt.Sprintf("%d task(s) blocked outside netsim", n))
	}
	return &DeadlockError{At: s.clock.Elapsed(), Blocked: blocked}
}
