package netsim_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// TestListenerDeadline: Accept with a deadline on the virtual clock fails
// with os.ErrDeadlineExceeded when nobody connects, after exactly that long;
// a connection that arrives in time is accepted.
func TestListenerDeadline(t *testing.T) {
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	h, err := n.AddHost("h")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := h.Listen("tcp", "127.0.0.1:80")
	if err != nil {
		t.Fatal(err)
	}
	tl, ok := ln.(netsim.TCPListener)
	if !ok {
		t.Fatalf("Listen returned %T, not a netsim.TCPListener", ln)
	}
	var timedOut, accepted error
	var waited time.Duration
	n.Go(func() {
		start := n.Now()
		tl.SetDeadline(start.Add(2 * time.Second))
		_, timedOut = ln.Accept()
		waited = n.Now().Sub(start)
		tl.SetDeadline(n.Now().Add(2 * time.Second))
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		accepted = err
		ln.Close()
	})
	n.Go(func() {
		n.Sleep(3 * time.Second)
		c, err := h.Dial("tcp", "127.0.0.1:80")
		if err == nil {
			c.Close()
		}
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(timedOut, os.ErrDeadlineExceeded) {
		t.Errorf("first Accept: %v, want os.ErrDeadlineExceeded", timedOut)
	}
	if waited < 2*time.Second || waited > 2*time.Second+time.Millisecond {
		t.Errorf("first Accept returned after %v of virtual time, want 2s", waited)
	}
	if accepted != nil {
		t.Errorf("second Accept: %v, want a connection", accepted)
	}
}
