package netsim_test

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"netsim.dev/netsim"
)

// TestWithTimeout: a program-mode DialContext with Network.WithTimeout gives
// up after exactly that much virtual time; the context reports
// DeadlineExceeded then, and not before.
func TestWithTimeout(t *testing.T) {
	n, a := downPair(t)
	var dialErr, errBefore, errAfter error
	var took time.Duration
	var deadline time.Time
	n.Go(func() {
		ctx, cancel := n.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		deadline, _ = ctx.Deadline()
		start := n.Now()
		n.Sleep(time.Second)
		errBefore = ctx.Err()
		_, dialErr = a.DialContext(ctx, "tcp", "10.0.0.2:80") // the link is down: no answer
		took = n.Now().Sub(start)
		errAfter = ctx.Err()
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if !deadline.Equal(netsim.DefaultStart.Add(2 * time.Second)) {
		t.Errorf("deadline %v, want the start + 2s", deadline)
	}
	if errBefore != nil {
		t.Errorf("after 1s of virtual time ctx.Err() = %v, want nil", errBefore)
	}
	if !errors.Is(dialErr, os.ErrDeadlineExceeded) {
		t.Errorf("DialContext: %v, want os.ErrDeadlineExceeded", dialErr)
	}
	// As package net's dial timeout: context.DeadlineExceeded, a net.Error
	// whose Timeout is true.
	if !errors.Is(dialErr, context.DeadlineExceeded) {
		t.Errorf("DialContext: %v, want an error matching context.DeadlineExceeded, as net.Dialer's", dialErr)
	}
	if ne, ok := dialErr.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("DialContext: %v (%T), want a net.Error whose Timeout() is true", dialErr, dialErr)
	}
	if took < 2*time.Second || took > 2*time.Second+netsim.DefaultCallTime {
		t.Errorf("DialContext gave up after %v of virtual time, want 2s", took)
	}
	if !errors.Is(errAfter, context.DeadlineExceeded) {
		t.Errorf("after the deadline ctx.Err() = %v, want DeadlineExceeded", errAfter)
	}
}

// TestWithTimeoutCancel: cancel ends the context at once.
func TestWithTimeoutCancel(t *testing.T) {
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ctx, cancel := n.WithTimeout(context.Background(), time.Hour)
	cancel()
	select {
	case <-ctx.Done():
	default:
		t.Fatal("Done not closed by cancel")
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("Err = %v", ctx.Err())
	}
}

// TestWithTimeoutCancelEndsDial: a task cancelling a Network.WithTimeout
// context ends another task's parked Dial at that instant.
func TestWithTimeoutCancelEndsDial(t *testing.T) {
	n, a := downPair(t)
	ctx, cancel := n.WithTimeout(context.Background(), time.Hour)
	var dialErr error
	var took time.Duration
	n.Go(func() {
		start := n.Now()
		_, dialErr = a.DialContext(ctx, "tcp", "10.0.0.2:80")
		took = n.Now().Sub(start)
	})
	n.Go(func() {
		n.Sleep(1500 * time.Millisecond)
		cancel()
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(dialErr, context.Canceled) {
		t.Errorf("DialContext: %v, want context.Canceled", dialErr)
	}
	if took < 1500*time.Millisecond || took > 1500*time.Millisecond+netsim.DefaultCallTime {
		t.Errorf("DialContext returned after %v of virtual time, want 1.5s", took)
	}
}

// TestStartDialTimeoutIsDeadlineExceeded: a PendingConn whose context's
// deadline passed fails as package net's dial timeout does.
func TestStartDialTimeoutIsDeadlineExceeded(t *testing.T) {
	n, a := downPair(t)
	var connErr error
	n.Go(func() {
		ctx, cancel := n.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p, err := a.StartDial(ctx, "tcp", "", "10.0.0.2:80")
		if err != nil {
			connErr = err
			return
		}
		defer p.Close()
		n.Sleep(2 * time.Second)
		_, connErr = p.Conn()
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(connErr, context.DeadlineExceeded) || !errors.Is(connErr, os.ErrDeadlineExceeded) {
		t.Errorf("PendingConn.Conn after the deadline: %v, want an error matching context.DeadlineExceeded and os.ErrDeadlineExceeded", connErr)
	}
	if ne, ok := connErr.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("PendingConn.Conn after the deadline: %v (%T), want a net.Error whose Timeout() is true", connErr, connErr)
	}
}

// downPair returns a network of hosts a (10.0.0.1) and b (10.0.0.2) whose
// link is down, so that a's dials to b wait, and host a; the network is
// closed when the test ends.
func downPair(t *testing.T) (*netsim.Network, *netsim.Host) {
	t.Helper()
	n, a, _ := linkedPair(t, netsim.LinkConfig{Down: true})
	return n, a
}

// linkedPair returns a network of hosts a (10.0.0.1/24) and b
// (10.0.0.2/24) on one link "a-b" set to cfg; the network is closed when the
// test ends.
func linkedPair(t *testing.T, cfg netsim.LinkConfig) (n *netsim.Network, a, b *netsim.Host) {
	t.Helper()
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if a, err = n.AddHost("a"); err != nil {
		t.Fatal(err)
	}
	if b, err = n.AddHost("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Connect("a-b", a.Iface("eth0", "10.0.0.1/24"), b.Iface("eth0", "10.0.0.2/24"), cfg); err != nil {
		t.Fatal(err)
	}
	return n, a, b
}
