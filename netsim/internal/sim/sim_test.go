package sim

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim/internal/vclock"
)

func newSim() *Sim {
	return New(vclock.New(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)))
}

// yield is the cheapest Op: it completes at once, like a socket call that
// does not block.
func yield(s *Sim) { s.Do(&Op{Desc: "yield", Try: func() bool { return true }}) }

func sleep(s *Sim, d time.Duration) { s.Do(&Op{Desc: "Sleep", Sleep: d, Free: true}) }

// gate is a Waitable with a flag: wait parks until open is called. Its state
// is touched only inside Ops, on the driver's goroutine, as sockets are.
type gate struct {
	s    *Sim
	w    *Waitable
	open bool
}

func newGate(s *Sim) *gate { return &gate{s: s, w: s.NewWaitable()} }

func (g *gate) wait(desc string) {
	g.s.Do(&Op{Desc: desc, W: g.w, Try: func() bool { return g.open }})
}

func (g *gate) set() {
	g.s.Do(&Op{Desc: "open", Try: func() bool { g.open = true; g.w.Notify(); return true }})
}

func TestTasksInterleaveInFixedOrder(t *testing.T) {
	s := newSim()
	var log []string // no lock: tasks run one at a time (-race checks it)
	for _, name := range []string{"a", "b", "c"} {
		s.Go(name, func() {
			for i := range 3 {
				log = append(log, fmt.Sprint(name, i))
				yield(s)
			}
		})
	}
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	want := []string{"a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"}
	if !slices.Equal(log, want) {
		t.Fatalf("order = %v, want %v", log, want)
	}
}

func TestOneTaskAtATime(t *testing.T) {
	s := newSim()
	var mu sync.Mutex
	running, most := 0, 0
	enter := func() {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
	}
	leave := func() {
		mu.Lock()
		running--
		mu.Unlock()
	}
	for i := range 20 {
		s.Go(fmt.Sprint("t", i), func() {
			for range 10 {
				enter()
				for range 1000 { // give another goroutine a chance to overlap
				}
				leave()
				yield(s)
			}
		})
	}
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	if most != 1 {
		t.Fatalf("%d tasks ran at once, want 1", most)
	}
}

func TestRunIsRepeatable(t *testing.T) {
	// The same program gives the same interleaving every time, including
	// tasks started by tasks.
	run := func() string {
		s := newSim()
		var log []string
		for i := range 4 {
			s.Go("", func() {
				for j := range 3 {
					log = append(log, fmt.Sprint(i, j))
					if j == 1 {
						s.Go("", func() { log = append(log, fmt.Sprint("child", i)); yield(s) })
					}
					sleep(s, time.Duration((i*7+j*3)%4+1)*time.Millisecond)
				}
			})
		}
		if err := s.Run(0); err != nil {
			t.Fatal(err)
		}
		return strings.Join(log, " ")
	}
	first := run()
	for range 20 {
		if got := run(); got != first {
			t.Fatalf("run differs:\n%s\n%s", got, first)
		}
	}
}

func TestGoFromTaskRunsAfterQueuedTasks(t *testing.T) {
	s := newSim()
	var log []string
	s.Go("parent", func() {
		log = append(log, "parent")
		s.Go("child", func() { log = append(log, "child") })
		yield(s)
		log = append(log, "parent again")
	})
	s.Go("sibling", func() { log = append(log, "sibling") })
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	want := []string{"parent", "sibling", "child", "parent again"}
	if !slices.Equal(log, want) {
		t.Fatalf("order = %v, want %v", log, want)
	}
}

func TestSleepOrdering(t *testing.T) {
	s := newSim()
	type wake struct {
		name string
		at   time.Duration
	}
	var log []wake
	for _, tc := range []struct {
		name string
		d    time.Duration
	}{{"slow", 3 * time.Second}, {"fast", time.Second}, {"tie1", 2 * time.Second}, {"tie2", 2 * time.Second}} {
		s.Go(tc.name, func() {
			sleep(s, tc.d)
			log = append(log, wake{tc.name, s.Clock().Elapsed()})
		})
	}
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	want := []wake{{"fast", time.Second}, {"tie1", 2 * time.Second}, {"tie2", 2 * time.Second}, {"slow", 3 * time.Second}}
	if !slices.Equal(log, want) {
		t.Fatalf("wake-ups = %v, want %v", log, want)
	}
}

func TestSleepCostsNoWallTime(t *testing.T) {
	s := newSim()
	s.Go("", func() { sleep(s, 24*time.Hour) })
	start := time.Now()
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	if wall := time.Since(start); wall > time.Second {
		t.Fatalf("a virtual day took %v of wall time", wall)
	}
	if got := s.Clock().Elapsed(); got != 24*time.Hour {
		t.Fatalf("Elapsed = %v, want 24h", got)
	}
}

func TestCallTime(t *testing.T) {
	s := newSim()
	s.CallTime = 20 * time.Microsecond
	var at []time.Duration
	s.Go("", func() {
		at = append(at, s.Clock().Elapsed())
		yield(s)
		at = append(at, s.Clock().Elapsed())
		yield(s)
		at = append(at, s.Clock().Elapsed())
		s.Do(&Op{Desc: "free", Free: true, Try: func() bool { return true }})
		at = append(at, s.Clock().Elapsed())
		sleep(s, time.Millisecond) // a sleep costs its own length only
		at = append(at, s.Clock().Elapsed())
	})
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	us := time.Microsecond
	want := []time.Duration{0, 20 * us, 40 * us, 40 * us, 1040 * us}
	if !slices.Equal(at, want) {
		t.Fatalf("times = %v, want %v", at, want)
	}
}

func TestCallTimeAppliesAfterParking(t *testing.T) {
	s := newSim()
	s.CallTime = 5 * time.Microsecond
	g := newGate(s)
	var woke time.Duration
	s.Go("waiter", func() {
		g.wait("wait")
		woke = s.Clock().Elapsed()
	})
	s.Go("opener", func() {
		sleep(s, time.Millisecond)
		g.set()
	})
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	if want := time.Millisecond + 5*time.Microsecond; woke != want {
		t.Fatalf("waiter resumed at %v, want %v (notify time + CallTime)", woke, want)
	}
}

func TestParkAndNotify(t *testing.T) {
	s := newSim()
	g := newGate(s)
	var log []string
	s.Go("w1", func() { g.wait("w1"); log = append(log, "w1") })
	s.Go("w2", func() { g.wait("w2"); log = append(log, "w2") })
	s.Go("opener", func() {
		log = append(log, "open")
		g.set()
		log = append(log, "opened")
	})
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	// Parked ops are retried in the order they parked, and resume after the
	// opener, which was queued first.
	want := []string{"open", "opened", "w1", "w2"}
	if !slices.Equal(log, want) {
		t.Fatalf("order = %v, want %v", log, want)
	}
}

// Waitables are retried in the order they first had an Op parked on them
// (the driver's own order: in test mode goroutines create them concurrently).
func TestWaitablesRetriedInFirstParkOrder(t *testing.T) {
	s := newSim()
	g1, g2 := newGate(s), newGate(s)
	var log []string
	s.Go("on2", func() { g2.wait("on g2"); log = append(log, "on2") })
	s.Go("on1", func() { g1.wait("on g1"); log = append(log, "on1") })
	s.Go("opener", func() {
		// One Op opens g2 first, then g1: both become ready in one step.
		s.Do(&Op{Desc: "open both", Try: func() bool {
			g2.open, g1.open = true, true
			g2.w.Notify()
			g1.w.Notify()
			return true
		}})
	})
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	if want := []string{"on2", "on1"}; !slices.Equal(log, want) {
		t.Fatalf("order = %v, want %v (g2 had an Op parked first)", log, want)
	}
}

func TestNotifyFromAnotherGoroutine(t *testing.T) {
	// gVisor calls waiter callbacks on its own goroutines, inside a step.
	s := newSim()
	g := newGate(s)
	var done bool
	s.Go("waiter", func() { g.wait("wait"); done = true })
	s.Clock().Schedule(time.Second, 0, func() {
		g.open = true
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); g.w.Notify() }()
		wg.Wait()
	})
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	if !done {
		t.Fatal("waiter did not resume")
	}
}

func TestDeadline(t *testing.T) {
	s := newSim()
	w := s.NewWaitable()
	var timedOut bool
	var at time.Duration
	s.Go("", func() {
		dl := 1500 * time.Millisecond
		s.Do(&Op{Desc: "wait with deadline", W: w, Deadline: dl, Try: func() bool {
			if s.Clock().Elapsed() >= dl {
				timedOut = true
				return true
			}
			return false
		}})
		at = s.Clock().Elapsed()
	})
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	if !timedOut || at != 1500*time.Millisecond {
		t.Fatalf("timed out %v at %v, want true at 1.5s", timedOut, at)
	}
}

func TestDeadlockReport(t *testing.T) {
	s := newSim()
	g1, g2 := newGate(s), newGate(s)
	s.Go("a", func() { g1.wait("Read tcp A") })
	s.Go("b", func() {
		sleep(s, time.Second)
		g2.wait("Read tcp B")
	})
	err := s.Run(0)
	var de *DeadlockError
	if !errors.As(err, &de) {
		t.Fatalf("Run = %v, want a *DeadlockError", err)
	}
	if de.At != time.Second {
		t.Errorf("At = %v, want 1s", de.At)
	}
	var got []string
	for _, c := range de.Calls {
		got = append(got, c.Task+": "+c.Call)
	}
	if want := []string{"task 1 (a): Read tcp A", "task 2 (b): Read tcp B"}; !slices.Equal(got, want) {
		t.Errorf("Calls = %q, want %q", got, want)
	}
	msg := err.Error()
	for _, s := range []string{"deadlock", "1s", "Read tcp A", "Read tcp B"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q does not mention %q", msg, s)
		}
	}
}

func TestDeadlockWithTimerPendingIsFoundLater(t *testing.T) {
	// A pending event is not a deadlock: the clock jumps to it first.
	s := newSim()
	g := newGate(s)
	s.Go("a", func() { g.wait("wait") })
	s.Clock().Schedule(time.Hour, 0, func() {})
	var de *DeadlockError
	if err := s.Run(0); !errors.As(err, &de) || de.At != time.Hour {
		t.Fatalf("Run = %v, want a deadlock at 1h", err)
	}
}

func TestTaskPanicIsAnError(t *testing.T) {
	s := newSim()
	g := newGate(s)
	s.Go("blocked", func() { g.wait("wait forever") })
	s.Go("boom", func() {
		yield(s)
		panic("kaboom")
	})
	err := s.Run(0)
	if err == nil {
		t.Fatal("Run returned nil after a task panicked")
	}
	var de *DeadlockError
	if errors.As(err, &de) {
		t.Fatalf("Run = %v, want the panic, not a deadlock", err)
	}
	for _, want := range []string{"task 2 (boom)", "kaboom"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestTaskGoexitEndsTask(t *testing.T) {
	// runtime.Goexit (what t.FailNow does) ends the task like a return.
	s := newSim()
	var after bool
	s.Go("exit", func() {
		yield(s)
		defer func() { after = true }()
		runtime.Goexit()
	})
	if err := s.Run(0); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !after {
		t.Fatal("deferred call did not run")
	}
}

func TestLinger(t *testing.T) {
	for _, tc := range []struct {
		linger  time.Duration
		ran     []string
		elapsed time.Duration
	}{
		{0, nil, time.Millisecond},
		{5 * time.Second, []string{"1s"}, time.Millisecond + time.Second},
		{time.Minute, []string{"1s", "10s"}, time.Millisecond + 10*time.Second},
	} {
		s := newSim()
		var ran []string
		s.Go("", func() {
			sleep(s, time.Millisecond)
			s.Clock().Schedule(time.Second, 0, func() { ran = append(ran, "1s") })
			s.Clock().Schedule(10*time.Second, 0, func() { ran = append(ran, "10s") })
		})
		if err := s.Run(tc.linger); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ran, tc.ran) || s.Clock().Elapsed() != tc.elapsed {
			t.Errorf("linger %v: ran %v, elapsed %v; want %v, %v", tc.linger, ran, s.Clock().Elapsed(), tc.ran, tc.elapsed)
		}
	}
}

func TestRunWithNothingToDo(t *testing.T) {
	s := newSim()
	if err := s.Run(time.Hour); err != nil {
		t.Fatal(err)
	}
	if s.Clock().Elapsed() != 0 {
		t.Fatalf("Elapsed = %v, want 0", s.Clock().Elapsed())
	}
}

func TestRunAgain(t *testing.T) {
	s := newSim()
	n := 0
	s.Go("", func() { sleep(s, time.Second); n++ })
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	s.Go("", func() { sleep(s, time.Second); n++ })
	if err := s.Run(0); err != nil {
		t.Fatal(err)
	}
	if n != 2 || s.Clock().Elapsed() != 2*time.Second {
		t.Fatalf("n = %d at %v, want 2 at 2s", n, s.Clock().Elapsed())
	}
}

func TestRunFromTask(t *testing.T) {
	s := newSim()
	var err error
	s.Go("", func() { err = s.Run(0) })
	if e := s.Run(0); e != nil {
		t.Fatal(e)
	}
	if err == nil {
		t.Fatal("Run inside Run returned nil")
	}
	if s.Running() {
		t.Fatal("Running after Run returned")
	}
}

func TestDoOutsideRun(t *testing.T) {
	s := newSim()
	if s.Running() {
		t.Fatal("Running before Run")
	}
	ran := false
	if !s.Do(&Op{Try: func() bool { ran = true; return true }}) || !ran {
		t.Fatal("an Op that completes at once must run and report true outside Run")
	}
	if s.Do(&Op{Try: func() bool { return false }, W: s.NewWaitable()}) {
		t.Fatal("an Op that would block reported true outside Run")
	}
	if s.Do(&Op{Sleep: time.Second}) {
		t.Fatal("a Sleep outside Run reported true")
	}
	if s.Clock().Elapsed() != 0 {
		t.Fatal("the clock moved outside Run")
	}
	if !strings.Contains(ErrNotRunning.Error(), "Run") {
		t.Errorf("ErrNotRunning = %q does not tell what to do", ErrNotRunning)
	}
}
