package netsimtest_test

import (
	"fmt"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"netsim.dev/netsim"
)

// The same transfer in both modes: transferSize bytes over one 1 ms
// Ethernet link, client to server, 64 KiB per Write, 256 KiB per Read (a
// plain loop, not io.Copy, whose 8 KiB reads would cap the rate).
const (
	transferSize  = 4 << 20
	transferSeed  = 1
	transferWrite = 64 << 10
	transferRead  = 256 << 10
)

// transferNet builds the two hosts and the link, outside any bubble.
func transferNet(tb testing.TB) (n *netsim.Network, client, server *netsim.Host) {
	n, err := netsim.New(netsim.Options{Seed: transferSeed})
	if err != nil {
		tb.Fatal(err)
	}
	if client, err = n.AddHost("client"); err != nil {
		tb.Fatal(err)
	}
	if server, err = n.AddHost("server"); err != nil {
		tb.Fatal(err)
	}
	if _, err := n.Connect("client-server", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"), netsim.LinkConfig{Delay: time.Millisecond}); err != nil {
		tb.Fatal(err)
	}
	return n, client, server
}

// transferServer reads everything from ln's first connection.
func transferServer(ln net.Listener, got *int, fail func(error)) {
	c, err := ln.Accept()
	if err != nil {
		fail(err)
		return
	}
	buf := make([]byte, transferRead)
	for {
		k, err := c.Read(buf)
		*got += k
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(err)
			break
		}
	}
	c.Close()
	ln.Close()
}

// transferClient writes transferSize bytes to server:9000.
func transferClient(client *netsim.Host, fail func(error)) {
	c, err := client.Dial("tcp", "server:9000")
	if err != nil {
		fail(err)
		return
	}
	chunk := make([]byte, transferWrite)
	for sent := 0; sent < transferSize; sent += len(chunk) {
		if _, err := c.Write(chunk); err != nil {
			fail(err)
			break
		}
	}
	c.Close()
}

// transferProgramMode runs the transfer with the simulator's own tasks.
func transferProgramMode(tb testing.TB) netsim.Stats {
	n, client, server := transferNet(tb)
	defer n.Close()
	ln, err := server.Listen("tcp", ":9000")
	if err != nil {
		tb.Fatal(err)
	}
	var got int
	var failed error
	fail := func(err error) { failed = err }
	n.Go(func() { transferServer(ln, &got, fail) })
	n.Go(func() { transferClient(client, fail) })
	if err := n.Run(); err != nil {
		tb.Fatal(err)
	}
	if failed != nil || got != transferSize {
		tb.Fatalf("program mode: server got %d bytes of %d, error %v", got, transferSize, failed)
	}
	return n.Stats()
}

// transferTestMode runs the same transfer in a synctest bubble (test
// mode), with plain goroutines. It takes the *testing.T that
// synctest.Test needs; a benchmark has none, hence TestTransferOverhead.
func transferTestMode(t *testing.T) netsim.Stats {
	n, client, server := transferNet(t)
	defer n.Close()
	synctest.Test(t, func(t *testing.T) {
		stop, err := n.Start()
		if err != nil {
			t.Fatal(err)
		}
		ln, err := server.Listen("tcp", ":9000")
		if err != nil {
			t.Fatal(err)
		}
		var got int
		errs := make(chan error, 2)
		done := make(chan struct{})
		go func() { transferServer(ln, &got, func(err error) { errs <- err }); close(done) }()
		transferClient(client, func(err error) { errs <- err })
		<-done
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got != transferSize {
			t.Errorf("test mode: server got %d bytes of %d", got, transferSize)
		}
	})
	return n.Stats()
}

// BenchmarkTransferProgramMode: 4 MiB over one link in program mode.
func BenchmarkTransferProgramMode(b *testing.B) {
	b.SetBytes(transferSize)
	for b.Loop() {
		transferProgramMode(b)
	}
}

// TestTransferOverhead measures test mode against program mode for the
// same 4 MiB transfer. synctest.Test needs a *testing.T, which a
// Benchmark function does not have, so the test-mode half runs here, under
// testing.Benchmark with this test's T (synctest.Test may be called from
// the benchmark's goroutine while the test runs). Timing is only logged,
// never asserted; what is asserted is that both modes move all the data.
// The frame counts differ a little: in program mode a Write waits for the
// driver, in test mode it returns once the data is in the send buffer, so
// segments leave at other instants. Without -v (or in -short) it runs each
// mode once, for the assertions alone.
func TestTransferOverhead(t *testing.T) {
	prog := transferProgramMode(t)
	test := transferTestMode(t)
	t.Logf("program mode: %d frames, last at %v; test mode: %d frames, last at %v", prog.Frames, prog.LastFrame, test.Frames, test.LastFrame)
	if !testing.Verbose() || testing.Short() {
		return
	}
	pr := testing.Benchmark(func(b *testing.B) {
		b.SetBytes(transferSize)
		for b.Loop() {
			transferProgramMode(b)
		}
	})
	tr := testing.Benchmark(func(b *testing.B) {
		b.SetBytes(transferSize)
		for b.Loop() {
			transferTestMode(t)
		}
	})
	ratio := float64(tr.NsPerOp()) / float64(pr.NsPerOp())
	t.Logf("program mode: %v %s", pr, pr.MemString())
	t.Logf("test mode:    %v %s", tr, tr.MemString())
	t.Logf("test mode / program mode: %.2fx wall time per 4 MiB transfer (%s per frame in program mode, %s in test mode)",
		ratio, perFrame(pr, prog.Frames), perFrame(tr, test.Frames))
}

func perFrame(r testing.BenchmarkResult, frames int) string {
	return fmt.Sprint(time.Duration(r.NsPerOp() / int64(frames)))
}
