package netsimtest

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/internal/sim"
)

// Hangs and leaks. Inside a synctest bubble, three things end a test with
// nothing to show:
//   - goroutines still blocked when the test returns (a gRPC ClientConn
//     left open): synctest panics, "blocked goroutines remain";
//   - every goroutine blocked outside netsim (on channels): synctest
//     panics, "all goroutines in bubble are blocked";
//   - a goroutine blocked where synctest cannot see it (a sync.Mutex whose
//     holder is parked in a netsim Read; a real socket): the bubble's clock
//     stops, netsim cannot take a step, and the test hangs until go test's
//     -timeout.
//
// Run recovers synctest's panics and fails the test with a
// [*netsim.DeadlockError] (Leaked for the first) listing the bubble's
// goroutines with their stacks and the capture's path. A watchdog outside
// the bubble samples the bubble's goroutines: when they have not changed
// for the -netsim.hang wall time while one of them is blocked where
// synctest cannot see it, it reports a DeadlockError (Stalled) with the
// parked netsim calls, those goroutines with a hint each, and the
// capture's path. When every goroutine of the bubble is durably blocked or
// waits for a lock (the bubble can never go on: a goroutine parked in a
// netsim Read holds the lock the others want), Run fails the test and
// leaves the bubble behind, and the binary goes on to its next test (Run
// runs synctest.Test on a goroutine of its own for this). When one waits
// where something outside the bubble could wake it (a real socket, a
// channel made outside), it prints the report and ends the test binary
// (exit status 1): leaving that bubble behind could have it wake up after
// its test ended.

// EnvHang is the environment variable read when -netsim.hang is not given.
const EnvHang = "NETSIM_HANG"

// DefaultHang is how long, in wall time, a bubble may stay stalled before
// the watchdog reports it, unless -netsim.hang or $NETSIM_HANG says
// otherwise.
const DefaultHang = 20 * time.Second

var flagHang = flag.String("netsim.hang", "", "report a netsimtest.Run bubble that has made no progress for `duration` of wall time with a goroutine blocked where synctest cannot see it (a sync.Mutex, a real socket), and fail its test (or end the test binary, for a real socket); 0 turns the watchdog off; overrides $NETSIM_HANG (default 20s)")

// hangTimeout returns the watchdog's wall time, 0 for none.
func hangTimeout() (time.Duration, error) {
	v, from := lookup(flagHang, "netsim.hang", EnvHang)
	if v == "" {
		return DefaultHang, nil
	}
	if v == "0" || v == "off" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("netsim: %s: not a duration (20s, 1m; 0 or off turns the watchdog off)", from)
	}
	if d < 0 {
		return 0, fmt.Errorf("netsim: %s: negative (give 20s, 1m; 0 or off turns the watchdog off)", from)
	}
	return d, nil
}

// bubbleGoroutines returns the goroutines of synctest bubble id, but for
// netsim's driver and testing/synctest's own.
func bubbleGoroutines(id string) []netsim.Goroutine {
	var out []netsim.Goroutine
	for _, g := range sim.Stacks() {
		if sim.BubbleOf(g.State) != id || sim.SynctestOwn(g.Stack) || strings.Contains(g.Stack, "internal/sim.(*Sim).drive(") {
			continue
		}
		out = append(out, netsim.Goroutine(g))
	}
	return out
}

// unseen reports whether goroutine state s is blocked where synctest
// cannot see it: not durably, not running, not netsim's own wait.
func unseen(state string) bool {
	switch {
	case strings.Contains(state, "(durable)"), strings.HasPrefix(state, "running"),
		strings.HasPrefix(state, "runnable"), strings.HasPrefix(state, "syscall"),
		strings.HasPrefix(state, "synctest"):
		return false
	}
	return true
}

// capturePath returns the path of n's live capture, or "".
func capturePath(n *netsim.Network) string {
	if v, ok := lives.Load(n); ok {
		return v.(*liveCapture).path
	}
	return ""
}

// recoverDeadlock turns synctest's deadlock panic, recovered from
// synctest.Test, into a failure of t with a report of the bubble's
// goroutines; any other panic goes on.
func recoverDeadlock(t *testing.T, b *bubbleRun, r any) {
	t.Helper()
	err, ok := r.(error)
	id := b.bubble()
	if !ok || !strings.HasPrefix(err.Error(), "deadlock: ") || id == "" {
		panic(r)
	}
	e := &netsim.DeadlockError{
		Leaked:     strings.Contains(err.Error(), "main bubble goroutine has exited"),
		Goroutines: bubbleGoroutines(id),
		Capture:    capturePath(b.n),
	}
	e.At = b.n.Stats().Elapsed
	t.Error(e)
}

// abandonable reports whether a stalled bubble whose goroutines are gs
// can never go on, so that its test can fail and the binary go on: each of
// them is durably blocked or waits for a lock (sync.Mutex, RWMutex, Cond),
// which only a goroutine that runs can release, and none runs. A goroutine
// in a real read, or on a channel made outside the bubble, could be woken
// from outside: that bubble is not abandoned (the binary ends).
//
// A lock held by a goroutine outside the bubble would break this; the
// watchdog cannot tell who holds a lock, and a bubble's goroutines wait
// for one another's locks in every case seen (a Read parked under the
// lock another goroutine wants).
func abandonable(gs []netsim.Goroutine) bool {
	for _, g := range gs {
		if !unseen(g.State) {
			if strings.HasPrefix(g.State, "running") || strings.HasPrefix(g.State, "runnable") || strings.HasPrefix(g.State, "syscall") {
				return false
			}
			continue
		}
		state, _, _ := strings.Cut(g.State, ", synctest bubble")
		switch state {
		case "sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock", "sync.Cond.Wait":
		default:
			return false
		}
	}
	return true
}

// watch starts the watchdog of b's bubble, unless -netsim.hang is 0; the
// returned function stops it. A stalled bubble that can never go on
// (abandonable) is sent to abandon; any other stalled bubble ends the
// test binary.
func watch(t *testing.T, b *bubbleRun, abandon chan<- *netsim.DeadlockError) (stop func()) {
	hang, err := hangTimeout()
	if err != nil {
		t.Fatal(err)
	}
	if hang == 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		period := min(max(hang/8, 10*time.Millisecond), time.Second)
		tick := time.NewTicker(period)
		defer tick.Stop()
		var last string
		var since time.Time
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			id := b.bubble()
			if id == "" {
				continue
			}
			gs := bubbleGoroutines(id)
			var sig strings.Builder
			stalled := false
			for _, g := range gs {
				stalled = stalled || unseen(g.State)
				sig.WriteString(g.ID + g.State + g.Stack)
			}
			now := time.Now()
			if !stalled || sig.String() != last {
				last, since = sig.String(), now
				if !stalled {
					last = ""
				}
				continue
			}
			if d := now.Sub(since); d >= hang {
				e := &netsim.DeadlockError{Stalled: d, Goroutines: gs, Capture: capturePath(b.n)}
				e.Calls, e.At, _ = b.n.ParkedCalls()
				if abandonable(gs) {
					abandon <- e
					return
				}
				fmt.Fprintf(os.Stderr, "--- FAIL: %s\n%v\n", t.Name(), e)
				os.Exit(1)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
