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
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"netsim.dev/netsim/internal/vclock"
)

// ErrNotRunning is returned for a call that would block while the simulation
// is not running (for example a Dial before Run, or from a goroutine that is
// not a task).
var ErrNotRunning = errors.New("netsim: blocking call outside a running simulation (start it as a task with Go, then call Run)")

// ErrInterrupted is the error of a run whose context was done.
var ErrInterrupted = errors.New("netsim: run interrupted")

// DefaultHangTimeout is how long, in wall time, a task may keep control
// without a netsim call before Run reports it as hung.
const DefaultHangTimeout = 5 * time.Second

// Sim drives a simulation. Create it with New.
type Sim struct {
	clock *vclock.Clock

	// inbox carries the running task's next Op to the driver; an Op whose
	// exit field is set means the task has returned.
	inbox chan *Op
	// runq holds the tasks ready to run, in the order they became ready.
	runq taskQueue

	dirtyMu    sync.Mutex
	dirty      []*Waitable
	dirtySpare []*Waitable // dirty's next buffer (retryDirty reuses them)
	retry      []*Op       // retryDirty's copy of a Waitable's parked Ops

	parked map[*Op]time.Duration // the parked calls, each with the virtual time it (last) parked

	// ready puts a task at the end of runq: the function of the events
	// that end a Sleep or a call's CallTime.
	ready func(t any)

	// AfterEvent, if set, is called after each event with the event's owner
	// tag (netsim uses it to wait until the host whose timer fired has
	// finished reacting).
	AfterEvent func(owner int)

	// OnStep, if set, is called on the driver's goroutine as each step
	// that can make a stack send begins: before a socket call's Try (its
	// first attempt and every retry) and before an event runs (AfterEvent
	// belongs to the event's step). Frames sent until the next OnStep
	// belong to this step.
	OnStep func(Step)

	// OnDeadlock, if set, is called on the driver's goroutine when a
	// test-mode driver finds a deadlock, before it fails the parked calls
	// (netsim stops the capture there: what follows is teardown).
	OnDeadlock func()

	// CallTime is the virtual time a call takes: a task resumes that long
	// after its Op completes, as a program resumes some microseconds after
	// a system call on a real machine.
	CallTime time.Duration

	// HangTimeout is how long, in wall time, a task may keep control
	// without a netsim call before Run fails with a DeadlockError naming
	// it. Zero means DefaultHangTimeout, negative never.
	HangTimeout time.Duration

	// running is set while Run drives the simulation, and stays set after
	// a run that ended while a task had control (broken): that task's next
	// call must still go to the driver, where Close takes it, not run on
	// the task's own goroutine beside Close. Tasks read it.
	running   atomic.Bool
	testMode  atomic.Bool
	test      testState
	live      int // tasks started and not yet returned
	tasks     map[*task]struct{}
	nextTask  int
	nextID    uint64
	taskPanic error

	cur         *task         // the task that has control (driver only)
	steps       atomic.Uint64 // tasks resumed so far (the watchdog's view)
	inTask      atomic.Bool   // a task has control
	alarm       chan struct{} // wakes a driver waiting for a task: interrupt or hang
	interrupted atomic.Bool
	hungFor     atomic.Int64  // wall time the current task has held control, when the watchdog raised the alarm
	hungStep    atomic.Uint64 // the turn (steps) hungFor is about
	broken      error         // a run ended while a task had control: Run cannot go on
	closed      atomic.Bool   // Close was called: every call fails with net.ErrClosed
	draining    atomic.Bool   // Close is running the tasks to their end, one at a time
	gone        chan struct{} // closed when Close returns: nobody serves tasks any more
}

// task is one application task of program mode.
type task struct {
	id   int
	name string
	pc   uintptr       // fn's code, for its name
	wake chan struct{} // resumes the task (buffered: the driver never waits on it)
	gid  atomic.Uint64 // the goroutine's id, set when the task starts (0 before)
	late int           // calls made after Close (Close's drain only)
}

// String names the task in reports: "task 2 (main.server)".
func (t *task) String() string {
	name := t.name
	if name == "" {
		name = "?"
		if f := runtime.FuncForPC(t.pc); f != nil {
			name = f.Name()
		}
	}
	return fmt.Sprintf("task %d (%s)", t.id, name)
}

// New returns a driver on clock.
func New(clock *vclock.Clock) *Sim {
	s := &Sim{
		clock:  clock,
		inbox:  make(chan *Op),
		parked: make(map[*Op]time.Duration),
		tasks:  make(map[*task]struct{}),
		alarm:  make(chan struct{}, 1),
		gone:   make(chan struct{}),
	}
	s.ready = func(t any) { s.runq.push(t.(*task)) }
	return s
}

// Clock returns the driver's virtual clock.
func (s *Sim) Clock() *vclock.Clock { return s.clock }

// Running reports whether Run is in progress.
func (s *Sim) Running() bool { return s.running.Load() }

// Closed reports whether Close was called.
func (s *Sim) Closed() bool { return s.closed.Load() }

// CallErr is the error of a call that Do could not run: net.ErrClosed once
// the simulation is closed or a test-mode run has stopped, ErrNotRunning
// before.
func (s *Sim) CallErr() error {
	if s.closed.Load() || s.test.stopped.Load() {
		return net.ErrClosed
	}
	return ErrNotRunning
}

// Go starts fn as a task. Tasks run one at a time, in the order they became
// ready; a task runs until its next netsim call (or until it returns). Go
// does nothing once the simulation is closed.
func (s *Sim) Go(name string, fn func()) {
	if s.closed.Load() {
		return
	}
	s.nextTask++
	t := &task{id: s.nextTask, name: name, pc: reflect.ValueOf(fn).Pointer(), wake: make(chan struct{}, 1)}
	s.live++
	s.tasks[t] = struct{}{}
	s.runq.push(t)
	go func() {
		if !s.await(t) {
			return
		}
		// The Op that says the task has returned is taken then, not held
		// for the task's life (240 bytes a task: 10,000 connections have
		// 20,000 tasks), and the driver hands it back (exited).
		if s.closed.Load() {
			s.send(exitOp(t)) // closed before it ever ran
			return
		}
		t.gid.Store(goid())
		defer func() {
			if r := recover(); r != nil && !s.closed.Load() && s.taskPanic == nil {
				s.taskPanic = fmt.Errorf("%v panicked: %v\n%s", t, r, debug.Stack())
			}
			s.send(exitOp(t))
		}()
		fn()
	}()
}

// exitOps holds the Ops that say a task has returned, for the next tasks
// (20,000 tasks left 4.8 MB of them to the collector).
var exitOps = sync.Pool{New: func() any { return new(Op) }}

// exitOp returns the Op that says t has returned.
func exitOp(t *task) *Op {
	op := exitOps.Get().(*Op)
	op.exit = t
	return op
}

// exited takes note that the task of op, an exitOp, has returned, and
// recycles op.
func (s *Sim) exited(op *Op) {
	s.live--
	delete(s.tasks, op.exit)
	*op = Op{}
	exitOps.Put(op)
}

// goroutineID returns the task's goroutine id, or "" before it started.
func (t *task) goroutineID() string {
	if id := t.gid.Load(); id != 0 {
		return strconv.FormatUint(id, 10)
	}
	return ""
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
	// Also, when set, lists more Waitables the operation waits on: it is
	// tried again when any of W and Also is notified (a poll over several
	// sockets). The deadline notifies W.
	Also []*Waitable
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
	// Call describes the operation as a socket call, for OnStep.
	Call Call

	task     *task // the caller (nil: an Async Op, nobody waits)
	exit     *task // set on the Op a task sends when it returns
	aborted  bool  // Close ended the Op: Do reports false
	deadline *vclock.Event
}

// Call describes a socket call as the application made it.
type Call struct {
	// Op names the call as the socket API does: "connect", "write",
	// "close"...
	Op string
	// Bytes is how many bytes the call passed (write, sendto).
	Bytes int
	// Local and Remote are the socket's addresses, when known.
	Local, Remote string
	// Of, when set, gives the Local and Remote that are left empty, only
	// when the call is reported to OnStep: a call that nobody explains
	// formats no address.
	Of Addresser
}

// Addresser is a socket that names its addresses for a [Call]
// ("10.0.0.1:49152", "10.0.0.2:80"; "" for one it does not have).
type Addresser interface{ CallAddrs() (local, remote string) }

// resolved is c with the addresses Of gives filled in and Of cleared.
func (c Call) resolved() Call {
	if c.Of != nil {
		local, remote := c.Of.CallAddrs()
		c.Local, c.Remote = cmp.Or(c.Local, local), cmp.Or(c.Remote, remote)
		c.Of = nil
	}
	return c
}

// StepKind is a kind of step.
type StepKind int

// The kinds of step OnStep reports.
const (
	// StepCall: a task's Op (a socket call).
	StepCall StepKind = iota + 1
	// StepEvent: an event of the clock.
	StepEvent
)

// Step is a step of the driver, as OnStep reports it.
type Step struct {
	Kind StepKind
	// Program is the name of the task that made the call (StepCall), ""
	// for none (test mode's goroutines have none).
	Program string
	// Call is the Op's call (StepCall).
	Call Call
	// Timer is set for a stack timer's event (StepEvent), Armed to the
	// duration it was last armed with (see vclock.Clock.Timer).
	Timer bool
	Armed time.Duration
	// Inherited is what a stack timer armed for no time inherited from the
	// step that armed it (see vclock.Clock.SetInherit), or nil.
	Inherited any
	// Owner is the event's owner tag (StepEvent).
	Owner int
}

// callStep reports a call step for op.
func (s *Sim) callStep(op *Op) {
	if s.OnStep == nil {
		return
	}
	st := Step{Kind: StepCall, Call: op.Call.resolved()}
	if op.task != nil {
		st.Program = op.task.name
	}
	s.OnStep(st)
}

// Describer names what an Op acts on ("tcp 10.0.0.1:49152->10.0.0.2:80").
type Describer interface{ Describe() string }

// Do executes op and returns when it is complete. Called from a task, it
// hands control to the driver and waits for its turn to run again. Called
// while the simulation is not running, op must complete at once: a call that
// would block reports false, and the caller must fail with CallErr. Once the
// simulation is closed, Do reports false at once, and a call parked when
// Close came reports false too.
func (s *Sim) Do(op *Op) bool {
	if s.draining.Load() {
		return s.doDraining(op)
	}
	if s.closed.Load() {
		return false
	}
	if s.testMode.Load() {
		return s.submit(op)
	}
	if !s.running.Load() {
		if op.Sleep > 0 {
			return false
		}
		s.callStep(op)
		return op.Try()
	}
	t := s.cur
	op.task = t
	if !s.send(op) || !s.await(t) {
		return false
	}
	return !op.aborted
}

// send hands op to the driver, unless Close has given up on the tasks.
func (s *Sim) send(op *Op) bool {
	select {
	case s.inbox <- op:
		return true
	case <-s.gone:
		return false
	}
}

// await waits for t's turn, unless Close has given up on the tasks. It
// waits on t.wake alone: a parked task then holds one of the runtime's
// waiting records, not two, and a plain receive costs less than a select.
// Close wakes every task left when it gives up (release), and a task woken
// then reports false.
func (s *Sim) await(t *task) bool {
	<-t.wake
	select {
	case <-s.gone:
		return false
	default:
		return true
	}
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

// Run is RunContext with a context that is never done.
func (s *Sim) Run(linger time.Duration) error {
	return s.RunContext(context.Background(), linger)
}

// RunContext drives the simulation until every task has returned and the
// network has been quiet for linger of virtual time (or has nothing left to
// do). It returns an error if the tasks deadlock (all blocked with nothing
// pending), a task keeps control for HangTimeout of wall time, a task
// panics, or ctx is done (an error matching ErrInterrupted and
// context.Cause(ctx)). A done context is noticed between two steps, or at
// once if a task has control then.
func (s *Sim) RunContext(ctx context.Context, linger time.Duration) error {
	if s.closed.Load() {
		return fmt.Errorf("netsim: Run after Close: %w", ErrStopped)
	}
	if s.broken != nil {
		return fmt.Errorf("netsim: Run after a run that ended while a task had control (%v): %w", s.broken, ErrStopped)
	}
	if s.running.Load() {
		return errors.New("netsim: Run called while running")
	}
	if ctx.Err() != nil {
		return s.interruptErr(ctx)
	}
	s.running.Store(true)
	defer func() {
		if s.broken == nil {
			s.running.Store(false)
		}
	}()
	select {
	case <-s.alarm:
	default:
	}
	s.interrupted.Store(false)
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() {
			s.interrupted.Store(true)
			s.raise()
		})
		defer stop()
	}
	if hang := cmp.Or(s.HangTimeout, DefaultHangTimeout); hang > 0 {
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { s.watch(done, hang) })
		defer wg.Wait()
		defer close(done)
	}
	quietSince := s.clock.Elapsed()
	for {
		if s.interrupted.Load() {
			return s.interruptErr(ctx)
		}
		if s.taskPanic != nil {
			return s.taskPanic
		}
		if s.retryDirty() {
			continue
		}
		if s.runDueEvent() {
			continue
		}
		if s.runq.len() > 0 {
			if err := s.resumeNext(ctx); err != nil {
				return err
			}
			if s.live == 0 {
				quietSince = s.clock.Elapsed()
			}
			continue
		}
		next, ok := s.clock.Next()
		if !ok {
			if s.live > 0 {
				return s.deadlock(nil, 0)
			}
			return nil
		}
		if s.live == 0 && next > quietSince+linger {
			return nil
		}
		s.clock.AdvanceTo(next)
	}
}

// interruptErr is the error of a run whose context is done.
func (s *Sim) interruptErr(ctx context.Context) error {
	return fmt.Errorf("%w at %v of virtual time: %w", ErrInterrupted, s.clock.Elapsed(), context.Cause(ctx))
}

// raise wakes a driver that waits for a task.
func (s *Sim) raise() {
	select {
	case s.alarm <- struct{}{}:
	default:
	}
}

// watch raises the alarm when a task has held control for hang of wall
// time, until done is closed.
func (s *Sim) watch(done chan struct{}, hang time.Duration) {
	tick := time.NewTicker(max(hang/20, time.Millisecond))
	defer tick.Stop()
	var seen uint64
	var since time.Time
	for {
		select {
		case <-done:
			return
		case now := <-tick.C:
			if !s.inTask.Load() {
				since = time.Time{}
				continue
			}
			if step := s.steps.Load(); step != seen || since.IsZero() {
				seen, since = step, now
				continue
			}
			if d := now.Sub(since); d >= hang {
				s.hungStep.Store(seen)
				s.hungFor.Store(int64(d))
				s.raise()
			}
		}
	}
}

// runDueEvent runs the earliest event due now, if any, and reports whether
// there was one.
func (s *Sim) runDueEvent() bool {
	ev := s.clock.PopDue()
	if ev == nil {
		return false
	}
	if s.OnStep != nil {
		armed, timer := s.clock.Timer(ev)
		s.OnStep(Step{Kind: StepEvent, Timer: timer, Armed: armed, Inherited: s.clock.Inherited(ev), Owner: ev.Owner()})
	}
	s.clock.RunEvent(ev)
	if s.AfterEvent != nil {
		s.AfterEvent(ev.Owner())
	}
	s.clock.Release(ev)
	return true
}

// resumeNext runs the first ready task until its next Op, then serves that
// Op. It fails if the task keeps control too long or ctx is done meanwhile:
// the task is then left running, and the simulation can only be closed.
func (s *Sim) resumeNext(ctx context.Context) error {
	t := s.runq.pop()
	s.cur = t
	s.steps.Add(1)
	s.inTask.Store(true)
	t.wake <- struct{}{}
	var op *Op
	select {
	case op = <-s.inbox:
	case <-s.alarm:
		var err error
		if op, err = s.alarmed(ctx, t); err != nil {
			s.broken = err
			return err
		}
	}
	s.inTask.Store(false)
	if op.exit != nil {
		s.exited(op)
		return nil
	}
	s.serve(op)
	return nil
}

// alarmed handles an alarm raised while task t has control: the task's
// next Op if it came meanwhile (a late alarm), else the error that ends
// the run.
func (s *Sim) alarmed(ctx context.Context, t *task) (*Op, error) {
	for {
		select {
		case op := <-s.inbox:
			return op, nil
		default:
		}
		if s.interrupted.Load() {
			return nil, fmt.Errorf("%w (while %v had control)", s.interruptErr(ctx), t)
		}
		// A hang seen in an earlier turn (the task came back just after the
		// watchdog looked) does not count.
		if d := time.Duration(s.hungFor.Swap(0)); d > 0 && s.hungStep.Load() == s.steps.Load() {
			return nil, s.deadlock(t, d)
		}
		select {
		case op := <-s.inbox:
			return op, nil
		case <-s.alarm:
		}
	}
}

func (s *Sim) serve(op *Op) {
	if op.Sleep > 0 {
		s.clock.PostArg(op.Sleep, 0, s.ready, op.task)
		return
	}
	s.callStep(op)
	if op.Try() {
		s.complete(op)
		return
	}
	s.park(op)
}

func (s *Sim) complete(op *Op) {
	if op.task == nil {
		return // an Async Op: nobody waits for it
	}
	if op.Free || s.CallTime <= 0 {
		s.runq.push(op.task)
		return
	}
	s.clock.PostArg(s.CallTime, 0, s.ready, op.task)
}

func (s *Sim) park(op *Op) {
	s.parkOn(op, op.W)
	for _, w := range op.Also {
		s.parkOn(op, w)
	}
	s.parked[op] = s.clock.Elapsed()
	s.armDeadline(op)
}

// parkOn parks op on w, once: a Waitable listed twice (in W and Also)
// must not retry, and complete, the same Op twice.
func (s *Sim) parkOn(op *Op, w *Waitable) {
	if w.id == 0 {
		s.nextID++
		w.id = s.nextID
	}
	s.dirtyMu.Lock()
	defer s.dirtyMu.Unlock()
	if op.Also != nil && slices.Contains(w.parked, op) {
		return
	}
	w.parked = append(w.parked, op)
}

// unpark removes op from the Waitables it is parked on.
func (s *Sim) unpark(op *Op) {
	s.dirtyMu.Lock()
	defer s.dirtyMu.Unlock()
	op.W.parked = slices.DeleteFunc(op.W.parked, func(o *Op) bool { return o == op })
	for _, w := range op.Also {
		w.parked = slices.DeleteFunc(w.parked, func(o *Op) bool { return o == op })
	}
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
			s.callStep(op)
			if !op.Try() {
				s.armDeadline(op)
				continue
			}
			s.unpark(op)
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

// taskQueue is a FIFO of tasks whose buffer is reused: popping advances a
// head index, and a push into a full buffer first moves the queued tasks to
// its front. (Popping by reslicing, q = q[1:], lost the buffer's front for
// good, so that every few appends reallocated it: with 10,000 connections
// the queue is long and never empty for long.)
type taskQueue struct {
	buf  []*task
	head int // buf[head:] are queued
}

// len is the number of tasks queued.
func (q *taskQueue) len() int { return len(q.buf) - q.head }

// push queues t last.
func (q *taskQueue) push(t *task) {
	if len(q.buf) == cap(q.buf) && q.head > 0 {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	q.buf = append(q.buf, t)
}

// pop removes and returns the first task; the queue must not be empty.
func (q *taskQueue) pop() *task {
	t := q.buf[q.head]
	q.buf[q.head] = nil
	q.head++
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
	return t
}
