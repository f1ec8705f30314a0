package sim

import (
	"context"
	"errors"
	"net"
	"slices"
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
// hands it back in time is not.
func TestHangTimeout(t *testing.T) {
	s := newSim()
	s.HangTimeout = 200 * time.Millisecond
	s.Go("slow but fine", func() {
		for range 5 {
			time.Sleep(100 * time.Millisecond) // wall time, then a call
			yield(s)
		}
	})
	if err := s.Run(0); err != nil {
		t.Fatalf("Run = %v; a task that hands control back every 100ms is not hung", err)
	}
	release := make(chan struct{})
	s.Go("stuck", func() { <-release })
	err := s.RunContext(context.Background(), 0)
	var de *DeadlockError
	if !errors.As(err, &de) || de.Hang < 200*time.Millisecond || de.Goroutines[0].State != "chan receive" {
		t.Fatalf("Run = %v, want a hang in chan receive", err)
	}
	close(release)
	if err := s.Close(time.Second); err != nil {
		t.Fatal(err)
	}
}
