package netsim_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/pcapread"
)

// errStop is the cause given to the contexts the tests cancel.
var errStop = errors.New("stop requested")

// bulk starts an endless bulk transfer over h's loopback.
func bulk(t *testing.T, n *netsim.Network, h *netsim.Host) {
	t.Helper()
	ln, err := h.Listen("tcp", "127.0.0.1:9000")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(io.Discard, c)
	})
	n.Go(func() {
		c, err := h.Dial("tcp", "127.0.0.1:9000")
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	})
}

// A bulk transfer interrupted from another goroutine stops promptly, with
// an error matching ErrInterrupted and the cause; Close then writes a
// capture that reads to its end, holding every frame the run counted.
func TestRunContextInterruptsBulkTransfer(t *testing.T) {
	for _, format := range []capture.Format{capture.PCAP, capture.PCAPNG} {
		t.Run(format.String(), func(t *testing.T) {
			var buf bytes.Buffer
			n, err := netsim.New(netsim.Options{Capture: &buf, CaptureFormat: format})
			if err != nil {
				t.Fatal(err)
			}
			h, err := n.AddHost("h")
			if err != nil {
				t.Fatal(err)
			}
			bulk(t, n, h)
			ctx, cancel := context.WithCancelCause(context.Background())
			var cancelled time.Time
			timer := time.AfterFunc(200*time.Millisecond, func() {
				cancelled = time.Now()
				cancel(errStop)
			})
			defer timer.Stop()
			done := make(chan error, 1)
			go func() { done <- n.RunContext(ctx) }()
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				t.Fatal("RunContext did not return 60 s after its context was cancelled")
			}
			latency := time.Since(cancelled)
			if !errors.Is(err, netsim.ErrInterrupted) || !errors.Is(err, errStop) {
				t.Fatalf("RunContext = %v, want ErrInterrupted and the cause", err)
			}
			t.Logf("RunContext returned %v after the cancellation: %v", latency, err)
			if latency > 2*time.Second {
				t.Errorf("RunContext took %v to notice the cancellation", latency)
			}
			if err := n.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			frames, err := pcapread.ReadAll(mustReader(t, buf.Bytes()))
			if err != nil {
				t.Fatalf("the capture does not read to its end: %v", err)
			}
			if len(frames) == 0 || len(frames) != n.Stats().Frames {
				t.Errorf("capture holds %d frames, the run counted %d; want the same, > 0", len(frames), n.Stats().Frames)
			}
			if err := n.Close(); !errors.Is(err, netsim.ErrNetworkClosed) || !errors.Is(err, net.ErrClosed) {
				t.Errorf("second Close = %v, want ErrNetworkClosed and net.ErrClosed", err)
			}
			if err := n.Run(); !errors.Is(err, netsim.ErrNetworkClosed) {
				t.Errorf("Run after Close = %v, want ErrNetworkClosed", err)
			}
		})
	}
}

// A context already done stops the run before its first step.
func TestRunContextDoneBeforeRun(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	bulk(t, n, h)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errStop)
	if err := n.RunContext(ctx); !errors.Is(err, netsim.ErrInterrupted) || !errors.Is(err, errStop) {
		t.Fatalf("RunContext = %v, want ErrInterrupted and the cause", err)
	}
	if f := n.Stats().Frames; f != 0 {
		t.Errorf("%d frames sent by a run whose context was done before it started", f)
	}
}

func mustReader(t *testing.T, b []byte) *pcapread.Reader {
	t.Helper()
	r, err := pcapread.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A context cancelled while a task has control (the task itself cancels,
// then keeps control for a while): RunContext returns at once, and Close
// waits for the task to hand control back, then ends every task.
func TestRunContextInterruptsDuringATurn(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	bulk(t, n, h)
	ctx, cancel := context.WithCancelCause(context.Background())
	handBack := make(chan struct{})
	var sleepOK, ended bool
	n.Go(func() {
		n.Sleep(time.Millisecond)
		cancel(errStop)
		<-handBack // keeps control: the driver cannot take a step
		sleepOK = true
		n.Sleep(time.Millisecond) // fails at once: the network is closing
		for range 20000 {         // a task that retries forever is ended
			n.Sleep(time.Millisecond)
		}
		ended = true
	})
	start := time.Now()
	err := n.RunContext(ctx)
	if !errors.Is(err, netsim.ErrInterrupted) || !errors.Is(err, errStop) {
		t.Fatalf("RunContext = %v, want ErrInterrupted and the cause", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("RunContext took %v", took)
	}
	if err := n.Run(); !errors.Is(err, netsim.ErrStopped) {
		t.Errorf("Run after a run interrupted during a turn = %v, want ErrStopped", err)
	}
	time.AfterFunc(50*time.Millisecond, func() { close(handBack) })
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !sleepOK || ended {
		t.Errorf("task resumed %v, ran to its end %v; want true, false (ended by Goexit)", sleepOK, ended)
	}
}

// The task that had control when RunContext was interrupted makes its next
// calls before Close comes: they wait for Close (which fails them and ends
// the task) instead of running beside the caller on the task's goroutine,
// as if no run had ever started (a data race on the driver's state, seen
// under -race when a capture write failed mid-turn).
func TestRunContextInterruptedTaskCallsBeforeClose(t *testing.T) {
	n, h := newNet(t, netsim.Options{})
	bulk(t, n, h)
	ctx, cancel := context.WithCancelCause(context.Background())
	handBack := make(chan struct{})
	called := make(chan struct{})
	var ended bool
	n.Go(func() {
		n.Sleep(time.Millisecond)
		cancel(errStop)
		<-handBack // keeps control until RunContext has returned
		close(called)
		for range 20000 { // each call must wait for Close, not fail at once
			n.Sleep(time.Millisecond)
		}
		ended = true
	})
	if err := n.RunContext(ctx); !errors.Is(err, netsim.ErrInterrupted) {
		t.Fatalf("RunContext = %v, want ErrInterrupted", err)
	}
	close(handBack)
	<-called
	time.Sleep(50 * time.Millisecond) // the task's calls, if they did not wait
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if ended {
		t.Error("the task ran its 20,000 calls to its end before Close: they did not wait for the driver")
	}
}
