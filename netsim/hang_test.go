package netsim_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// The case: two tasks that block on a shared channel. The first
// keeps control, waiting for the second, which can never run: Run reports
// the hung task by name, with where it is blocked and its stack, instead of
// hanging.
func TestHangOnChannelIsReported(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	netsim.SetHangTimeout(n, 300*time.Millisecond)
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() { ln.Accept() }) // parked: shows in the report
	ch := make(chan int)
	n.Go(func() { waitForPeer(ch) })
	n.Go(func() { ch <- 1 })
	start := time.Now()
	err = n.Run()
	took := time.Since(start)
	var de *netsim.DeadlockError
	if !errors.As(err, &de) || !errors.Is(err, netsim.ErrDeadlock) {
		t.Fatalf("Run = %v, want a *DeadlockError", err)
	}
	t.Logf("hang reported after %v of wall time (timeout 300ms):\n%v", took, err)
	if de.Hang < 300*time.Millisecond || len(de.Goroutines) != 1 {
		t.Fatalf("Hang = %v, Goroutines = %d; want >= 300ms and the hung task", de.Hang, len(de.Goroutines))
	}
	g := de.Goroutines[0]
	if g.Task != "task 2 (netsim.dev/netsim_test.TestHangOnChannelIsReported.func2)" {
		t.Errorf("hung task %q, want task 2 named after its function", g.Task)
	}
	if g.State != "chan receive" || !strings.Contains(g.Stack, "waitForPeer") {
		t.Errorf("hung task in %q, stack:\n%s\nwant chan receive in waitForPeer", g.State, g.Stack)
	}
	if len(de.Calls) != 1 || !strings.HasPrefix(de.Calls[0].Call, "Accept") {
		t.Errorf("Calls = %q, want the parked Accept", de.Calls)
	}
	for _, want := range []string{"task 2", "chan receive", "waitForPeer", "Accept tcp 127.0.0.1:7000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report does not mention %q", want)
		}
	}
	if took > 30*time.Second {
		t.Errorf("the hang took %v to be reported", took)
	}
	if err := n.Run(); !errors.Is(err, netsim.ErrStopped) {
		t.Errorf("Run after a hang = %v, want ErrStopped", err)
	}
	// Close cannot end the hung task: it says so, after the timeout, and
	// ends the others. Once the test unblocks it, it ends too.
	err = n.Close()
	if err == nil || !strings.Contains(err.Error(), "task 2") || strings.Contains(err.Error(), "task 1 ") {
		t.Errorf("Close = %v, want an error naming task 2 alone", err)
	}
	close(ch)
}

// A task blocked on a mutex that another task holds while parked in a
// netsim call.
func TestHangOnMutexIsReported(t *testing.T) {
	n, _ := newNet(t, netsim.Options{})
	netsim.SetHangTimeout(n, 300*time.Millisecond)
	var mu sync.Mutex
	n.Go(func() {
		mu.Lock()
		n.Sleep(time.Second) // hands control back, holding mu
		mu.Unlock()
	})
	var got bool
	n.Go(func() {
		mu.Lock() // keeps control: the other task never wakes
		got = true
		mu.Unlock()
	})
	err := n.Run()
	var de *netsim.DeadlockError
	if !errors.As(err, &de) || de.Hang == 0 {
		t.Fatalf("Run = %v, want a hang", err)
	}
	if g := de.Goroutines[0]; g.State != "sync.Mutex.Lock" || !strings.HasPrefix(g.Task, "task 2 ") {
		t.Errorf("hung %q in %q, want task 2 in sync.Mutex.Lock", g.Task, g.State)
	}
	// Close releases task 1 (its Sleep fails), which unlocks mu: task 2 ends too.
	if err := n.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if !got {
		t.Error("task 2 did not get the mutex once Close released task 1")
	}
}

func waitForPeer(ch chan int) { <-ch }
