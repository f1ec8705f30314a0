package netsim_test

import (
	"errors"
	"net"
	"strings"
	"testing"

	"netsim.dev/netsim"
)

// Every error a caller may need to tell apart is exported by package
// netsim and matches with errors.Is or errors.As.
func TestErrorsAreExported(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	if _, err := h.Dial("tcp", "127.0.0.1:1"); !errors.Is(err, netsim.ErrNotRunning) {
		t.Errorf("Dial before Run = %v, want ErrNotRunning", err)
	}
	ln, err := h.Listen("tcp", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() { ln.Accept() })
	err = n.Run()
	var de *netsim.DeadlockError
	if !errors.Is(err, netsim.ErrDeadlock) || !errors.As(err, &de) {
		t.Fatalf("Run = %v, want a *DeadlockError matching ErrDeadlock", err)
	}
	if len(de.Calls) != 1 || de.Calls[0].Task == "" || !strings.HasPrefix(de.Calls[0].Call, "Accept tcp 127.0.0.1:7000") {
		t.Errorf("Calls = %q, want the Accept, with its task", de.Calls)
	}
	if !strings.Contains(de.Calls[0].Task, "TestErrorsAreExported") {
		t.Errorf("task %q is not named after its function", de.Calls[0].Task)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); !errors.Is(err, netsim.ErrNetworkClosed) || !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want ErrNetworkClosed wrapping net.ErrClosed", err)
	}
	if _, err := h.Listen("tcp", "127.0.0.1:7001"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Listen after Close = %v, want net.ErrClosed", err)
	}
	if _, err := h.Dial("tcp", "127.0.0.1:7000"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Dial after Close = %v, want net.ErrClosed", err)
	}
	if _, err := n.Start(); !errors.Is(err, netsim.ErrNetworkClosed) {
		t.Errorf("Start after Close = %v, want ErrNetworkClosed", err)
	}
}
