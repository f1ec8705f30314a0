package netsim_test

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"netsim.dev/netsim"
)

// deadlocked builds a network whose run deadlocks: a server parked in
// Read, a client parked in Read, a listener parked in Accept, a UDP socket
// parked in ReadFrom, and a task that never started its turn. It returns
// the errors the blocked calls got, filled once Close has ended the tasks.
func deadlocked(t *testing.T) (*netsim.Network, map[string]error) {
	t.Helper()
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := n.AddHost("h")
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]error)
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	ln2, err := h.Listen("tcp", "127.0.0.1:7001")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := h.ListenPacket("udp", "127.0.0.1:7002")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			got["accept"] = err
			return
		}
		_, got["server read"] = c.Read(make([]byte, 1))
		// Every call after Close fails at once too.
		_, got["write after"] = c.Write([]byte("x"))
		got["sleep after"] = nil
		n.Sleep(time.Hour)
	})
	n.Go(func() {
		c, err := h.Dial("tcp", "127.0.0.1:7000")
		if err != nil {
			got["dial"] = err
			return
		}
		_, got["client read"] = c.Read(make([]byte, 1))
		_, got["dial after"] = h.Dial("tcp", "127.0.0.1:7000")
	})
	n.Go(func() { _, got["accept2"] = ln2.Accept() })
	n.Go(func() { _, _, got["readfrom"] = pc.ReadFrom(make([]byte, 10)) })
	return n, got
}

// Close after a deadlock fails every parked call with net.ErrClosed, and
// every later call; no goroutine is left.
func TestCloseAfterDeadlockEndsEveryTask(t *testing.T) {
	defer goleak.VerifyNone(t, gvisorIgnores...)
	n, got := deadlocked(t)
	if err := n.Run(); !errors.Is(err, netsim.ErrDeadlock) {
		t.Fatalf("Run = %v, want a deadlock", err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, k := range []string{"server read", "client read", "accept2", "readfrom", "write after", "dial after"} {
		if err, ok := got[k]; !ok || !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s: %v (reached %v), want net.ErrClosed", k, err, ok)
		}
	}
	if _, ok := got["sleep after"]; !ok {
		t.Error("the server task did not run to its end")
	}
}

// Twenty networks closed after a deadlock leave no goroutine behind (the
// blocked tasks leaked one goroutine each before).
func TestCloseAfterDeadlockLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, gvisorIgnores...)
	before := runtime.NumGoroutine()
	for range 20 {
		n, _ := deadlocked(t)
		if err := n.Run(); !errors.Is(err, netsim.ErrDeadlock) {
			t.Fatalf("Run = %v, want a deadlock", err)
		}
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// gVisor's processor goroutines end a moment after Stack.Wait.
	var after int
	for range 100 {
		if after = runtime.NumGoroutine(); after <= before {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("goroutines: %d before 20 deadlocked networks, %d after they were closed", before, after)
}

// An interrupted run, then Close: nothing left.
func TestCloseAfterInterruptLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, gvisorIgnores...)
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := n.AddHost("h")
	if err != nil {
		t.Fatal(err)
	}
	bulk(t, n, h)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := n.RunContext(ctx); !errors.Is(err, netsim.ErrInterrupted) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunContext = %v, want ErrInterrupted and DeadlineExceeded", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
}

// A normal run, then Close: nothing left.
func TestCloseAfterRunLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, gvisorIgnores...)
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := n.AddHost("h")
	if err != nil {
		t.Fatal(err)
	}
	tcpPair(t, n, h, "127.0.0.1:7000",
		func(c net.Conn) { c.Write([]byte("hi")) },
		func(c net.Conn) { c.Read(make([]byte, 2)) })
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
}

// gvisorIgnores are goroutines that outlive a closed network on purpose.
var gvisorIgnores = []goleak.Option{}

// AddHost after Close fails with ErrNetworkClosed and starts no stack:
// before, it returned a host whose gVisor stack's goroutines nothing
// would ever stop.
func TestAddHostAfterCloseFails(t *testing.T) {
	defer goleak.VerifyNone(t, gvisorIgnores...)
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := n.AddHost("late")
	if !errors.Is(err, netsim.ErrNetworkClosed) || h != nil {
		t.Fatalf("AddHost after Close = %v, %v; want nil, an error matching ErrNetworkClosed", h, err)
	}
	if got := n.Host("late"); got != nil {
		t.Fatalf("Host(%q) after a failed AddHost = %v, want nil", "late", got)
	}
}

// Connect, AddSwitch, AddRoute and SetForwarding after Close fail as
// AddHost does, with an error matching ErrNetworkClosed, and change
// nothing.
func TestTopologyAfterCloseFails(t *testing.T) {
	defer goleak.VerifyNone(t, gvisorIgnores...)
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := n.AddHost("a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.AddHost("b")
	if err != nil {
		t.Fatal(err)
	}
	sw, err := n.AddSwitch("sw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Connect("a-sw", a.Iface("eth0", "10.0.0.1/24"), sw.Port()); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(call string, err error) {
		t.Helper()
		if !errors.Is(err, netsim.ErrNetworkClosed) {
			t.Errorf("%s after Close = %v, want an error matching ErrNetworkClosed", call, err)
		} else if strings.Count(err.Error(), "netsim:") != 1 {
			t.Errorf("%s after Close: %q, want one netsim: prefix", call, err)
		}
	}
	l, err := n.Connect("b-sw", b.Iface("eth0", "10.0.0.2/24"), sw.Port())
	check("Connect", err)
	if l != nil {
		t.Errorf("Connect after Close returned a link")
	}
	s2, err := n.AddSwitch("sw2")
	check("AddSwitch", err)
	if s2 != nil {
		t.Errorf("AddSwitch after Close returned a switch")
	}
	check("AddRoute", a.AddRoute("default", "10.0.0.254"))
	check("SetForwarding", a.SetForwarding(true))
	if got := b.Addrs(); len(got) != 0 {
		t.Errorf("b's addresses after a failed Connect: %v", got)
	}
}
