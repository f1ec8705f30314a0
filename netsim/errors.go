package netsim

import (
	"errors"
	"fmt"
	"net"
	"time"

	"netsim.dev/netsim/internal/sim"
)

// ErrNotRunning is the error (wrapped in a *net.OpError) of a socket call
// that would block while the simulation is not running: a Dial, Read or
// Accept before [Network.Run], or from a goroutine that is not a task
// started with [Network.Go].
var ErrNotRunning = sim.ErrNotRunning

// ErrStopped is the error of [Network.Run] when the network cannot run any
// more because an earlier run ended while a task had control (a hang, or
// an interruption in the middle of a task's turn): only [Network.Close]
// is left. (After Close, Run returns [ErrNetworkClosed].)
var ErrStopped = sim.ErrStopped

// ErrInterrupted is the error of [Network.RunContext] when its context is
// done. The error also wraps [context.Cause] of that context.
var ErrInterrupted = sim.ErrInterrupted

// ErrNoBubble is the error of [Network.Start] called outside a
// testing/synctest bubble (see [testing/synctest.Test]; package netsimtest
// runs the bubble for you).
var ErrNoBubble = sim.ErrNoBubble

// ErrDeadlock matches (with [errors.Is]) every [*DeadlockError]: the run
// cannot go on because every task is blocked, or because a task has kept
// control too long without a netsim call.
var ErrDeadlock = errors.New("netsim: deadlock")

// ErrNetworkClosed is the error of a second [Network.Close], and of Run or
// Start on a closed network. It wraps [net.ErrClosed]: errors.Is(err,
// net.ErrClosed) holds too.
var ErrNetworkClosed = fmt.Errorf("netsim: network closed: %w", net.ErrClosed)

// DeadlockError is the error of a run that can never make progress again.
// Either every task is blocked in a netsim call with nothing pending (no
// frame in flight, no timer, no Sleep: nothing can ever wake them), or
// (Hang > 0, program mode) a task has not handed control back for Hang of
// wall time: it is blocked outside netsim, on a channel, a mutex or
// time.Sleep, which the rules for tasks forbid. [errors.Is](err,
// [ErrDeadlock]) holds for every DeadlockError.
type DeadlockError struct {
	// At is the virtual time, since the start, when the run stopped: in
	// test mode, the time of netsim's last step (the bubble's clock may
	// have gone further, for goroutines that slept without calling netsim).
	At time.Duration
	// Blocked is the virtual time, since the start, when the last of Calls
	// parked: the run has been stuck since then. It can be well before At,
	// since the stacks' own timers (ARP, neighbour probes, keep-alives) run
	// on until nothing is left.
	Blocked time.Duration
	// Hang is the wall time the hung task kept control, or zero for a
	// deadlock. Goroutines[0] is then that task.
	Hang time.Duration
	// Calls are the netsim calls parked when the run stopped, by task.
	Calls []BlockedCall
	// Goroutines are goroutines blocked outside netsim, with their stacks:
	// in program mode the hung task; in test mode every goroutine of the
	// synctest bubble but netsim's driver.
	Goroutines []Goroutine
	// Stalled, in test mode, is the wall time the synctest bubble made no
	// progress because a goroutine is blocked where synctest cannot see it
	// (a sync.Mutex wanted while its holder is parked in a netsim Read, a
	// real socket): the report netsimtest makes of a hang. The report
	// names each such goroutine and what to change.
	Stalled time.Duration
	// Leaked, in test mode: Goroutines were still blocked after the test
	// returned and the network stopped (a gRPC ClientConn left open), the
	// report netsimtest makes instead of synctest's "blocked goroutines
	// remain" panic.
	Leaked bool
	// Capture is the path of the run's capture file, when netsimtest wrote
	// one.
	Capture string
}

// BlockedCall is a netsim call that waits for something that never comes.
type BlockedCall struct {
	// Task names the task that made the call: "task 2 (main.server)", its
	// number in the order of [Network.Go] and its function. Empty in test
	// mode, where calls come from plain goroutines (see Goroutines).
	Task string
	// Call is what the call waits for: "Read", "Accept tcp 10.0.0.2:80",
	// "Dial tcp 10.0.0.2:80".
	Call string
	// Socket names the socket, when the call has one:
	// "tcp 10.0.0.1:49152->10.0.0.2:80".
	Socket string
	// Since is the virtual time, since the start, when the call parked.
	Since time.Duration
}

// String describes the call: "task 2 (main.server): Read tcp ... (since 1.2ms)".
func (c BlockedCall) String() string {
	return sim.BlockedCall(c).String()
}

// Goroutine is a goroutine blocked outside netsim.
type Goroutine struct {
	// Task names the task it runs, in program mode.
	Task string
	// ID is the goroutine's id, as in a stack dump.
	ID string
	// State is what it is blocked in, as the runtime says: "chan receive",
	// "select", "sync.Mutex.Lock", "sleep" (with "(durable)" and the
	// synctest bubble in test mode).
	State string
	// Stack is its stack trace.
	Stack string
}

// Error returns the report: what stopped, when, the parked calls and the
// stacks.
func (e *DeadlockError) Error() string { return e.internal().Error() }

// Is makes errors.Is(err, ErrDeadlock) true.
func (e *DeadlockError) Is(target error) bool { return target == ErrDeadlock }

func (e *DeadlockError) internal() *sim.DeadlockError {
	ie := &sim.DeadlockError{At: e.At, Blocked: e.Blocked, Hang: e.Hang, Stalled: e.Stalled, Leaked: e.Leaked, Capture: e.Capture}
	for _, c := range e.Calls {
		ie.Calls = append(ie.Calls, sim.BlockedCall(c))
	}
	for _, g := range e.Goroutines {
		ie.Goroutines = append(ie.Goroutines, sim.Goroutine(g))
	}
	return ie
}

// publicErr turns the driver's errors into this package's.
func publicErr(err error) error {
	var ie *sim.DeadlockError
	if !errors.As(err, &ie) {
		return err
	}
	e := &DeadlockError{At: ie.At, Blocked: ie.Blocked, Hang: ie.Hang, Stalled: ie.Stalled, Leaked: ie.Leaked, Capture: ie.Capture}
	for _, c := range ie.Calls {
		e.Calls = append(e.Calls, BlockedCall(c))
	}
	for _, g := range ie.Goroutines {
		e.Goroutines = append(e.Goroutines, Goroutine(g))
	}
	return e
}
