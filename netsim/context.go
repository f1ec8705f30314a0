package netsim

import (
	"context"
	"sync"
	"time"
)

// WithTimeout returns a copy of parent that is done after d of virtual time.
// In program mode context.WithTimeout counts wall-clock time, which a run
// does not wait for (a 2 s timeout would read as 26 years of virtual time):
// use this one, for DialContext and for anything that reads the context's
// deadline or error. In test mode context.WithTimeout is already on the
// bubble's clock, and WithTimeout is context.WithTimeout.
//
// The context's Done channel is closed by the simulator when the virtual
// deadline passes, or by cancel; a task must still not block on it (see the
// package's rules), but DialContext and Err see it at once.
func (n *Network) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if n.sim.TestMode() {
		return context.WithTimeout(parent, d)
	}
	c := &virtualContext{Context: parent, deadline: n.Now().Add(d), done: make(chan struct{})}
	n.clock.Post(max(d, 0), 0, func() { c.finish(context.DeadlineExceeded) })
	stop := context.AfterFunc(parent, func() { c.finish(parent.Err()) })
	return c, func() {
		stop()
		c.finish(context.Canceled)
	}
}

// virtualContext is a context whose deadline is on the virtual clock.
type virtualContext struct {
	context.Context // the parent, for Value
	deadline        time.Time

	mu    sync.Mutex
	done  chan struct{}
	err   error
	calls map[int]func() // AfterDone callbacks, by registration
	next  int
}

// AfterDone implements sock.DoneNotifier: f is called, on the goroutine that
// ends the context (a task calling cancel, or the simulator at the
// deadline), so that a parked Dial sees it at once and deterministically.
func (c *virtualContext) AfterDone(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		defer f() // after the unlock above
		return func() bool { return false }
	}
	if c.calls == nil {
		c.calls = make(map[int]func())
	}
	id := c.next
	c.next++
	c.calls[id] = f
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.calls[id]
		delete(c.calls, id)
		return ok
	}
}

func (c *virtualContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *virtualContext) Done() <-chan struct{} { return c.done }

func (c *virtualContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *virtualContext) finish(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	close(c.done)
	calls := make([]func(), 0, len(c.calls))
	for id := 0; id < c.next; id++ {
		if f, ok := c.calls[id]; ok {
			calls = append(calls, f)
		}
	}
	c.calls = nil
	c.mu.Unlock()
	for _, f := range calls {
		f()
	}
}
