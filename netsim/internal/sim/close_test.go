package sim

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Close after a deadlock: parked calls report false, tasks run to their
// end one at a time, a task that never started never runs, Go does
// nothing, and a panic after Close is not reported.
func TestCloseDrainsTasks(t *testing.T) {
	s := newSim()
	g := newGate(s)
	var log []string
	s.Go("a", func() {
		ok := s.Do(&Op{Desc: "wait", W: g.w, Try: func() bool { return g.open }})
		log = append(log, "a resumed")
		if ok {
			t.Error("a parked call reported true after Close")
		}
		if s.Do(&Op{Desc: "later", Try: func() bool { t.Error("Try ran after Close"); return true }}) {
			t.Error("a call after Close reported true")
		}
		s.Go("child", func() { t.Error("a task started after Close ran") })
		log = append(log, "a done")
	})
	s.Go("b", func() {
		g.wait("wait")
		log = append(log, "b resumed")
		panic("after close")
	})
	if err := s.Run(0); err == nil {
		t.Fatal("no deadlock")
	}
	s.Go("never", func() { t.Error("a task never started ran after Close") })
	if err := s.Close(time.Second); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a resumed", "b resumed", "a done"}; !slices.Equal(log, want) {
		t.Errorf("log = %q, want %q (one task at a time, each call a turn)", log, want)
	}
	if s.live != 0 || len(s.tasks) != 0 {
		t.Errorf("%d tasks live after Close", s.live)
	}
	if !errors.Is(s.CallErr(), net.ErrClosed) {
		t.Errorf("CallErr = %v, want net.ErrClosed", s.CallErr())
	}
	if err := s.Run(0); !errors.Is(err, ErrStopped) {
		t.Errorf("Run after Close = %v, want ErrStopped", err)
	}
}

// The hang watchdog: a task that keeps control is reported, a task that
// hands it back in time is not. (With 100 ms between calls and a timeout of
// 200 ms, a loaded machine's late wake-ups made the first half fail.)
func TestHangTimeout(t *testing.T) { bothGoidPaths(t, testHangTimeout) }

func testHangTimeout(t *testing.T) {
	s := newSim()
	s.HangTimeout = time.Second
	s.Go("slow but fine", func() {
		for range 5 {
			time.Sleep(20 * time.Millisecond) // wall time, then a call
			yield(s)
		}
	})
	if err := s.Run(0); err != nil {
		t.Fatalf("Run = %v; a task that hands control back every 20ms is not hung", err)
	}
	release := make(chan struct{})
	s.Go("stuck", func() { <-release })
	err := s.RunContext(context.Background(), 0)
	var de *DeadlockError
	if !errors.As(err, &de) || de.Hang < time.Second || de.Goroutines[0].State != "chan receive" {
		t.Fatalf("Run = %v, want a hang in chan receive", err)
	}
	close(release)
	if err := s.Close(time.Second); err != nil {
		t.Fatal(err)
	}
}

// A task still blocked outside netsim when Close gives up is reported with
// its goroutine (state and stack, found by the goroutine id the task took
// as it started), each task with its own.
func TestCloseReportsLeakedTasks(t *testing.T) { bothGoidPaths(t, testCloseReportsLeakedTasks) }

func testCloseReportsLeakedTasks(t *testing.T) {
	s := newSim()
	g := newGate(s)
	release := make(chan struct{})
	defer close(release)
	mu := new(sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	s.Go("fine", func() { g.wait("wait") })
	s.Go("on a channel", func() {
		g.wait("wait")
		<-release
	})
	s.Go("on a mutex", func() {
		g.wait("wait")
		mu.Lock()
		mu.Unlock() //lint:ignore SA2001 only the wait matters
	})
	if err := s.Run(0); err == nil {
		t.Fatal("no deadlock")
	}
	err := s.Close(300 * time.Millisecond)
	if err == nil {
		t.Fatal("Close = nil, want the two leaked tasks")
	}
	msg := err.Error()
	for _, want := range []string{
		"2 task(s) still blocked outside netsim",
		"(on a channel) [chan receive]:\n",
		"testCloseReportsLeakedTasks.func2()",
		"(on a mutex) [sync.Mutex.Lock]:\n",
		"testCloseReportsLeakedTasks.func3()",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Close's report lacks %q:\n%s", want, msg)
		}
	}
	// Each task is followed by its own stack, not the other's.
	_, afterChan, _ := strings.Cut(msg, "(on a channel)")
	afterChan, _, _ = strings.Cut(afterChan, "(on a mutex)")
	if !strings.Contains(afterChan, "func2()") || strings.Contains(afterChan, "func3()") {
		t.Errorf("the channel task's report shows another stack:\n%s", afterChan)
	}
}
