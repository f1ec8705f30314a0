package netsimtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/dfilter"
	"netsim.dev/netsim/netsimtest"
)

// TestCaptureFile: a test checks its own capture with display filters,
// while New still keeps the capture for failures and -artifacts.
func TestCaptureFile(t *testing.T) {
	n, client, server := twoHosts(t, netsim.Options{Seed: 2}, netsim.LinkConfig{Delay: time.Millisecond})
	netsimtest.Run(t, n, func(t *testing.T) {
		c1, c2, stop := tcpPipe(t, client, server)
		c1.Write([]byte("ping"))
		buf := make([]byte, 4)
		if _, err := c2.Read(buf); err != nil || string(buf) != "ping" {
			t.Fatalf("read %q, %v", buf, err)
		}
		stop()
	})
	path := netsimtest.CaptureFile(t, n)
	for expr, want := range map[string]int{
		"tcp.flags.syn==1":                      2,
		"tcp.flags.syn==1 and tcp.flags.ack==0": 1,
		`tcp.payload == "ping"`:                 1,
		"arp":                                   2,
		"tcp.flags.reset==1":                    0,
	} {
		if err := dfilter.ExpectCount(path, expr, want); err != nil {
			t.Error(err)
		}
	}
}

// TestCancelEndsDial: in test mode, cancelling any context ends a parked
// DialContext at that instant of fake time.
func TestCancelEndsDial(t *testing.T) {
	n, client, _ := twoHosts(t, netsim.Options{}, netsim.LinkConfig{Down: true})
	netsimtest.Run(t, n, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(1500 * time.Millisecond)
			cancel()
		}()
		start := time.Now()
		_, err := client.DialContext(ctx, "tcp", "server:80")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("DialContext: %v, want context.Canceled", err)
		}
		if d := time.Since(start); d < 1500*time.Millisecond || d > 1500*time.Millisecond+netsim.DefaultCallTime {
			t.Errorf("DialContext returned after %v, want 1.5s", d)
		}
	})
}
