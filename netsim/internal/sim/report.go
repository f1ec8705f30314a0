package sim

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DeadlockError reports tasks that can never run again, or a task that kept
// control too long (Hang > 0).
type DeadlockError struct {
	// At is the virtual time since the epoch when the deadlock was found.
	At time.Duration
	// Blocked is the virtual time when the last of Calls parked: the run
	// has been stuck since then, though the stacks' own timers (ARP,
	// neighbour probes, keep-alives) may have run on until At.
	Blocked time.Duration
	// Hang, when positive, is the wall time a task kept control without a
	// netsim call: Goroutines[0] is that task.
	Hang time.Duration
	// Calls are the netsim calls parked when the run stopped.
	Calls []BlockedCall
	// Goroutines are the goroutines blocked outside netsim: the hung task
	// in program mode; in test mode every goroutine of the bubble but the
	// driver's.
	Goroutines []Goroutine
	// Stalled, in test mode, is the wall time the bubble made no progress
	// because a goroutine is blocked where synctest cannot see it (a
	// sync.Mutex, a real socket): the bubble's clock cannot advance.
	Stalled time.Duration
	// Leaked, in test mode: Goroutines were still blocked after the test
	// returned and the network stopped.
	Leaked bool
	// Capture is the path of the run's capture file, if known.
	Capture string
}

// BlockedCall is one parked netsim call.
type BlockedCall struct {
	Task   string        // the task that made it ("task 2 (main.server)"); "" in test mode
	Call   string        // what it waits for ("Read", "Accept tcp 10.0.0.1:80")
	Socket string        // the socket ("tcp 10.0.0.1:80<-10.0.0.2:49152"), or ""
	Since  time.Duration // the virtual time it parked
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
	return s + " (since " + c.Since.String() + ")"
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
	switch {
	case e.Hang > 0:
		g := e.Goroutines[0]
		fmt.Fprintf(&b, "netsim: %s has not handed control back for %v of wall time (at %v of virtual time), blocked in %s outside netsim: a task must block only in netsim calls (Sleep, socket calls), not on channels, mutexes or time.Sleep shared with other tasks",
			g.Task, e.Hang.Round(time.Millisecond), e.At, g.State)
	case e.Stalled > 0:
		fmt.Fprintf(&b, "netsim: no progress for %v of wall time (at %v of virtual time): a goroutine of the synctest bubble is blocked where synctest cannot see it, so the bubble's clock cannot advance and netsim cannot take a step",
			e.Stalled.Round(time.Millisecond), e.At)
		for _, g := range e.Goroutines {
			if hint := stallHint(g); hint != "" {
				fmt.Fprintf(&b, "\n\tgoroutine %s %s", g.ID, hint)
			}
		}
	case e.Leaked:
		fmt.Fprintf(&b, "netsim: %d goroutine(s) of the synctest bubble still blocked after the test returned and the network stopped (at %v): they leak, and synctest would panic (\"blocked goroutines remain\"). Close what the test started before it returns (grpc.ClientConn.Close, http.Server.Close, redis.Client.Close, a listener), with defer or t.Cleanup inside the bubble",
			len(e.Goroutines), e.At)
	default:
		who := "every task" // program mode: no goroutine is listed without a hang
		if len(e.Goroutines) > 0 {
			who = "every goroutine of the synctest bubble" // test mode lists them all
		}
		fmt.Fprintf(&b, "netsim: deadlock at %v: %s is blocked and nothing is pending", e.At, who)
		if len(e.Calls) > 0 && e.Blocked < e.At {
			fmt.Fprintf(&b, "; stuck since %v, when the last call parked (the stacks' own timers ran on until %v)", e.Blocked, e.At)
		}
	}
	if e.Capture != "" {
		fmt.Fprintf(&b, "\ncapture: %s", e.Capture)
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

// stallHint says why goroutine g, blocked where synctest cannot see it,
// stops a bubble, or "" for a goroutine that does not.
func stallHint(g Goroutine) string {
	state, _, _ := strings.Cut(g.State, ", synctest bubble")
	switch {
	case strings.Contains(g.State, "(durable)") || g.State == "running" || g.State == "runnable":
		return ""
	case strings.Contains(g.State, "IO wait") || strings.Contains(g.Stack, "internal/poll.(*FD)"):
		return "waits on a real socket of the machine, made where netsimtest's guard cannot see it (a raw syscall.Socket, golang.org/x/sys/unix, cgo, or a goroutine outside the bubble); use the host's DialContext, Listen or ListenPacket"
	case strings.Contains(g.State, "Mutex") || strings.Contains(g.State, "sync.Cond") || strings.Contains(g.State, "semacquire"):
		return "waits for a lock (" + state + ") that a goroutine parked in a netsim call probably holds: a blocking Read, Accept or Dial made while holding a lock another goroutine wants hangs the bubble (a goroutine waiting for a mutex is not durably blocked); release the lock before the call"
	case strings.Contains(g.State, "chan") || strings.Contains(g.State, "select"):
		return "waits on a channel made outside the bubble (" + state + "), which no goroutine of the bubble can be counted on to wake"
	}
	return "is blocked in " + state + ", which synctest does not count as durably blocked"
}

// deadlock returns the report of a run that cannot go on: every task
// blocked, or task hung keeping control for d.
func (s *Sim) deadlock(hung *task, d time.Duration) *DeadlockError {
	e := &DeadlockError{At: s.clock.Elapsed(), Hang: d, Calls: s.parkedCalls()}
	e.Blocked = lastParked(e.Calls)
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
	for op, at := range s.parked {
		c := call{c: BlockedCall{Call: op.Desc, Since: at}}
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
	var out []Goroutine
	for _, block := range strings.Split(stackTrace(true, 1<<16), "\n\n") {
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

// lastParked returns the latest time in calls at which a call parked.
func lastParked(calls []BlockedCall) time.Duration {
	var last time.Duration
	for _, c := range calls {
		last = max(last, c.Since)
	}
	return last
}
