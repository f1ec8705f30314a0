package proc

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/scenario"
)

var (
	// ErrStart matches (with [errors.Is]) the error of a process that could
	// not be started: no program, a program not found, a bad start time.
	ErrStart = errors.New("proc: cannot start the process")
	// ErrNoHost matches the error of [Runner.Add] for a host the network
	// does not have.
	ErrNoHost = errors.New("proc: no such host")
	// ErrHung matches every [*HangError].
	ErrHung = errors.New("proc: process blocked outside netsim")
	// ErrFailed matches every [*ExitError].
	ErrFailed = errors.New("proc: process failed")
)

// HangError is a process that went [Config.Watchdog] of wall time without
// a call to netsim: it computes, or blocks outside the shim (reading its
// standard input, a real sleep, a thread). It was killed.
type HangError struct {
	// Process names it.
	Process string
	// After is the last call it made ("start-up" before the first).
	After string
	// Wall is the watchdog's time.
	Wall time.Duration
}

// Error says which process and where.
func (e *HangError) Error() string {
	return fmt.Sprintf("process %s made no netsim call for %v of wall time after %s (it computes or blocks outside netsim: stdin, a real sleep, a busy loop); killed", e.Process, e.Wall, e.After)
}

// Is makes errors.Is(err, ErrHung) true.
func (e *HangError) Is(target error) bool { return target == ErrHung }

// ExitError is a process that exited with a status other than 0.
type ExitError struct {
	// Process names it.
	Process string
	// Code is its exit status (128+N for signal N).
	Code int
	// NoShim says it never called netsim: not a Python program, or one
	// run without the shim (python -E, -I or -S ignore PYTHONPATH or
	// site), whose sockets the seccomp filter refused.
	NoShim bool
}

// Error names the process and its status.
func (e *ExitError) Error() string {
	msg := fmt.Sprintf("process %s exited with status %d", e.Process, e.Code)
	if e.NoShim {
		msg += " without a call to netsim (python -E, -I and -S skip the shim: its sockets are refused)"
	}
	return msg
}

// Is makes errors.Is(err, ErrFailed) true.
func (e *ExitError) Is(target error) bool { return target == ErrFailed }

// Waiting is a process that waits in a call when a run deadlocks.
type Waiting struct {
	// Process names it.
	Process string
	// Call is the call it waits in, as the program made it:
	// "recv(fd 1000 tcp 127.0.0.1:24000<-127.0.0.1:49152)".
	Call string
}

// DeadlockError is a run in which every process waits for something that
// never comes. It wraps the network's [*netsim.DeadlockError]:
// errors.Is(err, netsim.ErrDeadlock) holds.
type DeadlockError struct {
	// Waiting are the processes still running, in the order added.
	Waiting []Waiting
	// Err is the run's error.
	Err error
}

// Error returns one line: "deadlock at 2.00004s: tcp_recv waits in
// accept(fd 1000 tcp 127.0.0.1:24000)".
func (e *DeadlockError) Error() string {
	var b strings.Builder
	b.WriteString("deadlock")
	var de *netsim.DeadlockError
	if errors.As(e.Err, &de) {
		fmt.Fprintf(&b, " at %v", de.At)
	}
	for i, w := range e.Waiting {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s waits in %s", w.Process, w.Call)
	}
	// A scenario's own programs that wait too, as its report names them.
	var sde *scenario.DeadlockError
	if errors.As(e.Err, &sde) && len(sde.Waiting) > 0 {
		if _, progs, ok := strings.Cut(sde.Error(), ": "); ok {
			if len(e.Waiting) > 0 {
				b.WriteString("; ")
			} else {
				b.WriteString(": ")
			}
			b.WriteString(progs)
		}
	} else if len(e.Waiting) == 0 && e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the run's error.
func (e *DeadlockError) Unwrap() error { return e.Err }
