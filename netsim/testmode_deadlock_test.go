package netsim_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"netsim.dev/netsim"
)

// Test mode: an Accept that can never return, with nothing else pending,
// is a deadlock. The driver fails the call with net.ErrClosed (where
// synctest panicked with a goroutine dump before), and stop reports the
// parked call and the bubble's goroutines. A goroutine that sleeps on the
// bubble's clock is not a deadlock: it may call netsim when it wakes.
func TestTestModeDeadlockIsReported(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	var stopErr, acceptErr error
	var slept time.Duration
	synctest.Test(t, func(t *testing.T) {
		stop, err := n.Start()
		if err != nil {
			t.Fatal(err)
		}
		ln, err := h.Listen("tcp", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			// An hour of fake time with the Accept parked: no deadlock.
			start := time.Now()
			time.Sleep(time.Hour)
			slept = time.Since(start)
		}()
		_, acceptErr = ln.Accept()
		stopErr = stop()
	})
	if slept != time.Hour {
		t.Errorf("the sleeping goroutine slept %v, want 1h", slept)
	}
	if !errors.Is(acceptErr, net.ErrClosed) {
		t.Errorf("Accept = %v, want net.ErrClosed", acceptErr)
	}
	var de *netsim.DeadlockError
	if !errors.As(stopErr, &de) || !errors.Is(stopErr, netsim.ErrDeadlock) {
		t.Fatalf("stop = %v, want a *DeadlockError", stopErr)
	}
	t.Logf("report:\n%v", stopErr)
	if de.At >= time.Hour {
		t.Errorf("deadlock At = %v, want the time of the Accept, before the sleeper ended", de.At)
	}
	if len(de.Goroutines) != 1 {
		t.Errorf("%d goroutines in the report, want the test's alone", len(de.Goroutines))
	}
	if len(de.Calls) != 1 || de.Calls[0].Call != "Accept tcp 127.0.0.1:7000" {
		t.Errorf("Calls = %q, want the Accept", de.Calls)
	}
	found := false
	for _, g := range de.Goroutines {
		if strings.Contains(g.Stack, "TestTestModeDeadlockIsReported") && strings.Contains(g.State, "synctest bubble") {
			found = true
		}
	}
	if !found {
		t.Errorf("no goroutine of the report is the test's: %+v", de.Goroutines)
	}
}

// After a test-mode deadlock, every call fails with net.ErrClosed, new
// sockets included, and no frame is sent.
func TestTestModeCallsAfterDeadlockFail(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	synctest.Test(t, func(t *testing.T) {
		stop, err := n.Start()
		if err != nil {
			t.Fatal(err)
		}
		ln, err := h.Listen("tcp", "127.0.0.1:7000")
		if err != nil {
			t.Fatal(err)
		}
		pc, err := h.ListenPacket("udp", "127.0.0.1:7001")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := pc.ReadFrom(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("ReadFrom = %v, want net.ErrClosed after the deadlock", err)
		}
		frames := n.Stats().Frames
		if _, err := h.Dial("tcp", "127.0.0.1:7000"); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Dial after the deadlock = %v, want net.ErrClosed", err)
		}
		if _, err := h.Listen("tcp", "127.0.0.1:7002"); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Listen after the deadlock = %v, want net.ErrClosed", err)
		}
		if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after the deadlock = %v, want net.ErrClosed", err)
		}
		if f := n.Stats().Frames; f != frames {
			t.Errorf("%d frames after the deadlock", f-frames)
		}
		if err := stop(); !errors.Is(err, netsim.ErrDeadlock) {
			t.Errorf("stop = %v, want the deadlock", err)
		}
	})
}

// A deadlock between two hosts on an Ethernet link is found only once the
// stacks' own timers (neighbour reachability) have run out, seconds of
// virtual time after the calls parked: the report says when the run got
// stuck (the last call's parking), and each call's own time, not only when
// the driver found nothing left.
func TestDeadlockSaysWhenItBegan(t *testing.T) {
	n, a, b := linkedPair(t, netsim.LinkConfig{})
	var stopErr error
	synctest.Test(t, func(t *testing.T) {
		stop, err := n.Start()
		if err != nil {
			t.Fatal(err)
		}
		ln, err := b.Listen("tcp", "10.0.0.2:7000")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Read(make([]byte, 1)) // waits for the client, which waits too
		}()
		c, err := a.Dial("tcp", "10.0.0.2:7000")
		if err == nil {
			c.Read(make([]byte, 1))
		}
		<-done
		stopErr = stop()
	})
	var de *netsim.DeadlockError
	if !errors.As(stopErr, &de) {
		t.Fatalf("stop = %v, want a *DeadlockError", stopErr)
	}
	t.Logf("report:\n%v", stopErr)
	if len(de.Calls) != 2 {
		t.Fatalf("Calls = %q, want both Reads", de.Calls)
	}
	last := max(de.Calls[0].Since, de.Calls[1].Since)
	if de.Blocked != last || last <= 0 {
		t.Errorf("Blocked = %v, want the last call's parking time %v (> 0)", de.Blocked, last)
	}
	if de.Blocked >= time.Second || de.At < time.Second {
		t.Errorf("Blocked %v, At %v: want the Reads parked within the first second and the deadlock found after the neighbour timers (seconds later)", de.Blocked, de.At)
	}
	msg := stopErr.Error()
	if want := "stuck since " + de.Blocked.String(); !strings.Contains(msg, want) {
		t.Errorf("report does not say %q:\n%s", want, msg)
	}
	for _, c := range de.Calls {
		if want := c.String(); !strings.Contains(msg, want) || !strings.HasSuffix(want, "(since "+c.Since.String()+")") {
			t.Errorf("call %q not in the report with its time:\n%s", want, msg)
		}
	}
}
