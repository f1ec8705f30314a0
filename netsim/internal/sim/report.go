package sim

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// DeadlockError reports tasks that can never run again, or a task that kept
// control too long (Hang > 0).
type DeadlockError struct {
	// At is the virtual time since the epoch when the deadlock was found.
	At time.Duration
	// Hang, when positive, is the wall time a task kept control without a
	// netsim call: Goroutines[0] is that task.
	Hang time.Duration
	// Calls are the netsim calls parked when the run stopped.
	Calls []BlockedCall
	// Goroutines are the goroutines blocked outside netsim: the hung task
	// in program mode; in test mode every goroutine of the bubble but the
	// driver's.
	Goroutines []Goroutine
}

// BlockedCall is one parked netsim call.
type BlockedCall struct {
	Task   string // the task that made it ("task 2 (main.server)"); "" in test mode
	Call   string // what it waits for ("Read", "Accept tcp 10.0.0.1:80")
	Socket string // the socket ("tcp 10.0.0.1:80<-10.0.0.2:49152"), or ""
}

// String describes the call.
func (c BlockedCall) String() string {
	s := c.Call
	if c.Socket != "" {
		s += " " + c.Socket
	}
	if c.Task != "" {
		s = c.Task + ": " + s
	}
	return s
}

// Goroutine is one goroutine's state from a stack dump.
type Goroutine struct {
	Task  string // the task it runs, if known
	ID    string // the goroutine id
	State string // what it waits for, as the runtime says: "chan receive", "sync.Mutex.Lock", "sleep"
	Stack string // its stack trace
}

// Error implements error.
func (e *DeadlockError) Error() string {
	var b strings.Builder
	if e.Hang > 0 {
		g := e.Goroutines[0]
		fmt.Fprintf(&b, "netsim: %s has not handed control back for %v of wall time (at %v of virtual time), blocked in %s outside netsim: a task must block only in netsim calls (Sleep, socket calls), not on channels, mutexes or time.Sleep shared with other tasks",
			g.Task, e.Hang.Round(time.Millisecond), e.At, g.State)
	} else {
		who := "every task" // program mode: no goroutine is listed without a hang
		if len(e.Goroutines) > 0 {
			who = "every goroutine of the synctest bubble" // test mode lists them all
		}
		fmt.Fprintf(&b, "netsim: deadlock at %v: %s is blocked and nothing is pending", e.At, who)
	}
	if len(e.Calls) > 0 {
		b.WriteString("\nparked calls:")
		for _, c := range e.Calls {
			b.WriteString("\n\t" + c.String())
		}
	}
	for _, g := range e.Goroutines {
		fmt.Fprintf(&b, "\ngoroutine %s [%s]", g.ID, g.State)
		if g.Task != "" {
			b.WriteString(" " + g.Task)
		}
		b.WriteString(":\n" + g.Stack)
	}
	return b.String()
}

// deadlock returns the report of a run that cannot go on: every task
// blocked, or task hung keeping control for d.
func (s *Sim) deadlock(hung *task, d time.Duration) *DeadlockError {
	e := &DeadlockError{At: s.clock.Elapsed(), Hang: d, Calls: s.parkedCalls()}
	if hung != nil {
		g := Goroutine{Task: hung.String(), ID: hung.goroutineID(), State: "running"}
		for _, gr := range stacks() {
			if gr.ID == g.ID {
				g.State, g.Stack = gr.State, gr.Stack
			}
		}
		e.Goroutines = []Goroutine{g}
	}
	return e
}

// parkedCalls lists the parked calls, by task then description.
func (s *Sim) parkedCalls() []BlockedCall {
	type call struct {
		id int
		c  BlockedCall
	}
	var calls []call
	for op := range s.parked {
		c := call{c: BlockedCall{Call: op.Desc}}
		if op.Of != nil {
			c.c.Socket = op.Of.Describe()
		}
		if op.task != nil && op.task.id > 0 {
			c.id, c.c.Task = op.task.id, op.task.String()
		}
		calls = append(calls, c)
	}
	slices.SortFunc(calls, func(a, b call) int {
		return cmp.Or(cmp.Compare(a.id, b.id), strings.Compare(a.c.String(), b.c.String()))
	})
	out := make([]BlockedCall, len(calls))
	for i, c := range calls {
		out[i] = c.c
	}
	return out
}

// stacks returns every goroutine's stack.
func stacks() []Goroutine {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []Goroutine
	for _, block := range strings.Split(string(buf), "\n\n") {
		header, stack, _ := strings.Cut(block, "\n")
		rest, ok := strings.CutPrefix(header, "goroutine ")
		if !ok {
			continue
		}
		id, rest, _ := strings.Cut(rest, " [")
		state, _, _ := strings.Cut(rest, "]:")
		out = append(out, Goroutine{ID: id, State: state, Stack: strings.TrimRight(stack, "\n")})
	}
	return out
}

// leaked reports the tasks Close could not end.
func (s *Sim) leaked(wait time.Duration) error {
	all := stacks()
	var ts []*task
	for t := range s.tasks {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *task) int { return cmp.Compare(a.id, b.id) })
	var b strings.Builder
	fmt.Fprintf(&b, "netsim: Close: %d task(s) still blocked outside netsim after %v of wall time; their goroutines leak:", len(ts), wait)
	for _, t := range ts {
		fmt.Fprintf(&b, "\n%v", t)
		for _, g := range all {
			if id := t.goroutineID(); id != "" && g.ID == id {
				fmt.Fprintf(&b, " [%s]:\n%s", g.State, g.Stack)
			}
		}
	}
	return errors.New(b.String())
}
