package sim

import (
	"cmp"
	"runtime"
	"slices"
	"time"
)

// maxLateCalls is how many calls a task may make after Close before Close
// ends it with runtime.Goexit (its deferred calls run): a task that retries
// a failing call forever must not keep Close waiting.
const maxLateCalls = 10000

// doDraining is Do while Close runs the tasks to their end: the call fails,
// but the task still hands control to Close's loop, so that tasks go on
// running one at a time.
func (s *Sim) doDraining(op *Op) bool {
	t := s.cur
	if t.late++; t.late > maxLateCalls {
		runtime.Goexit()
	}
	op.task = t
	op.aborted = true
	if s.send(op) {
		s.await(t)
	}
	return false
}

// Close ends the simulation: every call parked in the driver fails (Do
// reports false, and callers fail with net.ErrClosed, see CallErr), every
// later call too, and every task still alive runs to its end, one at a
// time as in Run. A task that does not hand control back within wait of
// wall time (blocked outside netsim) cannot be ended: Close then releases
// the others all at once, waits up to wait for them, and reports the tasks
// that did not end (their goroutines leak). It must not be called while
// Run runs. A second Close does nothing.
func (s *Sim) Close(wait time.Duration) error {
	if s.closed.Swap(true) {
		return nil
	}
	defer s.release()
	if s.testMode.Load() || s.live == 0 {
		return nil
	}
	for op := range s.parked {
		op.aborted = true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var q []*task
	for t := range s.tasks {
		q = append(q, t)
	}
	slices.SortFunc(q, func(a, b *task) int { return cmp.Compare(a.id, b.id) })
	s.draining.Store(true)
	if s.broken != nil {
		// A run stopped while s.cur had control (a hang, an interrupt in
		// its turn): wait for it to hand control back before the others run.
		q = slices.DeleteFunc(q, func(t *task) bool { return t == s.cur })
		if !s.drainStep(&q, timer, wait) {
			return s.drainAll(q, timer, wait)
		}
	}
	for len(q) > 0 {
		t := q[0]
		q = q[1:]
		s.cur = t
		t.wake <- struct{}{}
		if !s.drainStep(&q, timer, wait) {
			return s.drainAll(q, timer, wait)
		}
	}
	s.draining.Store(false)
	return nil
}

// release tells every goroutine waiting for the driver that nobody serves
// tasks any more: a task parked for its turn (await) is woken and fails
// its call.
func (s *Sim) release() {
	close(s.gone)
	for t := range s.tasks {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// drainStep waits for the task that has control to make its next call
// (it is queued again at the end of q) or to return. It reports false if
// the task kept control for wait.
func (s *Sim) drainStep(q *[]*task, timer *time.Timer, wait time.Duration) bool {
	select {
	case op := <-s.inbox:
		timer.Reset(wait)
		if op.exit != nil {
			s.exited(op)
			return true
		}
		*q = append(*q, op.task)
		return true
	case <-timer.C:
		return false
	}
}

// drainAll releases the tasks in q all at once (a task is stuck holding
// control, so one at a time is over), and waits up to wait for every task
// to end.
func (s *Sim) drainAll(q []*task, timer *time.Timer, wait time.Duration) error {
	s.draining.Store(false)
	for _, t := range q {
		t.wake <- struct{}{}
	}
	timer.Reset(wait)
	for s.live > 0 {
		select {
		case op := <-s.inbox:
			if op.exit != nil {
				s.exited(op)
				continue
			}
			// A call made just before the drain stopped: it fails.
			op.task.wake <- struct{}{}
		case <-timer.C:
			return s.leaked(wait)
		}
	}
	return nil
}
