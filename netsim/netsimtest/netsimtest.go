// Package netsimtest runs tests of users' own Go code over a netsim network,
// inside testing/synctest: unmodified code (net/http, crypto/tls, a DNS
// library) over real TCP, on fake time, with the same capture on every run.
//
// The rules are few:
//   - Build the network (hosts, links) outside the bubble, with New, then
//     run the code with Run. gVisor's goroutines must not belong to the
//     bubble, or the bubble never goes idle.
//   - Inside Run, use the hosts' Listen, Dial, DialContext and ListenPacket
//     from any goroutine; time.Sleep, timers, deadlines and contexts run on
//     the bubble's fake time, which is the capture's time.
//   - synctest makes time deterministic, not scheduling. netsim orders the
//     sockets that goroutines make at one instant (Dial, Listen,
//     ListenPacket) by what does not depend on which goroutine came first:
//     the dial's label (netsim.WithLabel), the address, the calling
//     goroutine's stack and creation site, then the order in which it (or
//     the goroutine that started it) was created, so goroutines started in
//     a loop, and the goroutines net/http's Transport or a connection pool
//     start for them, dial in the loop's order. What it cannot see is an
//     order decided under a library's own mutex (HTTP/2 stream IDs, a pool
//     handing out connections, a worker pool's queue): label those dials,
//     or start the work at different instants. Code that races on its own
//     mutexes cannot be made deterministic by any simulator.
//   - A Read, Accept or Dial made while holding a lock that another
//     goroutine waits for can hang the bubble: a goroutine waiting for a
//     sync.Mutex is not "durably blocked". Close and Write (when the data
//     fits in the 256 KiB send buffer) never wait, so net/http's Close and
//     Shutdown are fine.
//   - Don't call synctest.Wait yourself while Run's driver is running, and
//     don't call t.Run inside Run (testing forbids it in a bubble).
//
// What goes wrong in a bubble is reported, not lost:
//   - The capture is written to a file frame by frame ([New]): a binary
//     that panics, calls os.Exit or is killed by -timeout leaves it.
//   - Importing netsimtest makes net.DefaultResolver a pure-Go resolver
//     that, inside Run, answers from the simulated hosts (no DNS packet
//     leaves the process), and fails the test with [ErrRealNetwork] when a
//     dial by name bypasses netsim; outside Run it behaves as before.
//   - On Linux, a socket that the net package would make for a goroutine
//     of Run's bubble (net.Dial of an IP address, net.Listen,
//     net.ListenPacket, a library's default dialer) is not made: the call
//     fails with [ErrRealNetwork] and so does the test, with the call and
//     its goroutine named. Goroutines outside the bubble are not concerned.
//   - Goroutines left blocked when the test returns, a bubble where every
//     goroutine is blocked, and a bubble stalled by a goroutine synctest
//     cannot see (a Read under a contended lock, a real socket; see
//     -netsim.hang) fail the test with a [*netsim.DeadlockError].
//   - [Check] runs a test N times at GOMAXPROCS 1 and 8 and explains the
//     first difference between their captures.
//
// [Seeds] runs a test over many seeds, one subtest each: `go test ./pkg
// -netsim.seeds=1-500` (or NETSIM_SEEDS=1-500 over many packages), in
// shards (-netsim.shard=I/N, Bazel's and Kubernetes' variables) split as
// `netsim sweep` splits them, and a failing seed logs the go test line
// that reproduces it alone (-netsim.seed=N).
package netsimtest

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// New returns a network for t. Unless opts.Capture is set, the run is
// captured in pcapng (every link), written through to a file frame by
// frame (so that the file is a valid capture at every moment: a test
// binary that panics, calls os.Exit or is killed by go test -timeout still
// leaves it), whose path the test's log gives at once. The file is
// $TMPDIR/netsim-captures/BINARY/TEST.pcapng ($NETSIM_CAPTURE_DIR/TEST.pcapng
// if set), or TEST's t.ArtifactDir()/netsim.pcapng with go test -artifacts;
// a second network of the same test adds -2, and so on. It is removed
// when the test passes (without -artifacts), and kept when it fails. The
// network is closed when the test ends.
func New(t testing.TB, opts netsim.Options) *netsim.Network {
	t.Helper()
	var buf *bytes.Buffer
	var live *liveCapture
	if opts.Capture == nil {
		buf = new(bytes.Buffer)
		opts.Capture = buf
		opts.CaptureFormat = capture.PCAPNG
		opts.CaptureFlushEach = true
		var err error
		if live, err = openLiveCapture(t); err != nil {
			t.Logf("%v: the capture is kept in memory only", err)
		} else {
			opts.Capture = io.MultiWriter(buf, live)
			t.Logf("netsim: capturing to %s", live.path)
		}
	}
	n, err := netsim.New(opts)
	if err != nil {
		if live != nil {
			live.f.Close()
			os.Remove(live.path)
		}
		t.Fatal(err)
	}
	if buf != nil {
		captures.Store(n, buf)
		noteCapture(t, buf)
	}
	if live != nil {
		lives.Store(n, live)
	}
	t.Cleanup(func() {
		captures.Delete(n)
		lives.Delete(n)
		// A test may close the network itself: a second Close is fine here.
		if err := n.Close(); err != nil && !errors.Is(err, netsim.ErrNetworkClosed) {
			t.Errorf("netsim: close: %v", err)
		}
		switch {
		case live != nil:
			live.finish(t)
		case buf != nil:
			saveCapture(t, buf.Bytes())
		}
	})
	return n
}

// captures maps each network made by New to its in-memory capture.
var captures sync.Map // *netsim.Network -> *bytes.Buffer

// CaptureFile writes the capture so far of a network made by New (with no
// Options.Capture of its own) to a file in t.TempDir() and returns its path,
// for checks with package dfilter or tshark after Run:
//
//	path := netsimtest.CaptureFile(t, n)
//	if err := dfilter.ExpectCount(path, "tcp.flags.reset==1", 0); err != nil { ... }
func CaptureFile(t testing.TB, n *netsim.Network) string {
	t.Helper()
	v, ok := captures.Load(n)
	if !ok {
		t.Fatal("netsimtest.CaptureFile: the network was not made by netsimtest.New, or has its own Options.Capture")
	}
	path := filepath.Join(t.TempDir(), "netsim.pcapng")
	if err := os.WriteFile(path, v.(*bytes.Buffer).Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// artifacts reports whether `go test -artifacts` was given.
func artifacts() bool {
	f := flag.Lookup("test.artifacts")
	return f != nil && f.Value.String() == "true"
}

func saveCapture(t testing.TB, data []byte) {
	var dir string
	switch {
	case artifacts():
		dir = t.ArtifactDir()
	case t.Failed():
		var err error
		dir, err = os.MkdirTemp("", "netsim-"+strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-")
		if err != nil {
			t.Logf("netsim: cannot save the capture: %v", err)
			return
		}
	default:
		return
	}
	path := filepath.Join(dir, "netsim.pcapng")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Logf("netsim: cannot save the capture: %v", err)
		return
	}
	t.Logf("netsim: capture saved to %s (wireshark %s, or netsim read -r %s)", path, path, path)
}

// Run runs test inside a new synctest bubble with n's driver started: any
// code in it may use n's hosts. When test returns, the network settles
// (Options.Linger of fake time, so that connections finish closing), calls
// still blocked fail with net.ErrClosed, and the capture is flushed.
//
// A deadlock (every goroutine of the bubble blocked for good, some in
// netsim calls: a Read that can never return) fails the test with a
// [*netsim.DeadlockError] listing the parked calls and the bubble's
// goroutines with their stacks; the parked calls fail with net.ErrClosed
// so that test can run to its end, and the capture, which ends at the
// deadlock, is saved as for any failed test.
//
// Goroutines still blocked when test returns and the network has stopped
// (a gRPC ClientConn or a server left open), or every goroutine of the
// bubble blocked with no netsim call pending, fail the test with a
// [*netsim.DeadlockError] (Leaked for the first) listing them, in place
// of synctest's panic. While test runs, a watchdog outside the bubble
// reports a bubble whose goroutines have not changed for -netsim.hang of
// wall time (default [DefaultHang]) while one of them is blocked where
// synctest cannot see it (a sync.Mutex, a real socket): it reports a
// [*netsim.DeadlockError] (Stalled) with the parked calls. When the
// bubble's goroutines wait only for one another (on channels, or for
// locks that one of them holds), the test fails and the bubble is left
// behind, its goroutines leaked, while the binary goes on; when one waits
// on a real socket, which something outside could wake, the report is
// printed and the test binary ends.
func Run(t *testing.T, n *netsim.Network, test func(t *testing.T)) {
	t.Helper()
	var live *liveCapture
	if v, ok := lives.Load(n); ok {
		// Cleared only when test returns: after a panic the file is kept.
		live = v.(*liveCapture)
		live.setInterrupted(true)
	}
	noteGuard(t)
	b := newRun(n)
	abandon := make(chan *netsim.DeadlockError, 1)
	defer watch(t, b, abandon)()
	// synctest.Test runs on a goroutine of its own, so that a bubble that
	// can never go on can be left behind (see watch); what it ends with,
	// a panic or a FailNow, is handed to the test's goroutine.
	done := make(chan bubbleEnd, 1)
	go func() {
		var end bubbleEnd
		defer func() { done <- end }()
		defer func() {
			if r := recover(); r != nil {
				end.panicked, end.value = true, r
			}
		}()
		synctest.Test(t, b.body(test))
		end.returned = true
	}()
	select {
	case end := <-done:
		switch {
		case end.panicked:
			recoverDeadlock(t, b, end.value)
		case !end.returned:
			t.FailNow() // synctest.Test failed the test and stopped
		}
	case e := <-abandon:
		t.Error(e)
		t.Log("netsim: every goroutine of the bubble waits for the others (or for a lock one of them holds): nothing can wake them, so the bubble is left behind (its goroutines leak) and the test binary goes on")
		t.FailNow()
	}
	if live != nil {
		live.setInterrupted(false)
	}
}

// body returns the function Run's bubble runs: it starts the network's
// driver, runs test and stops the driver when test returns.
func (b *bubbleRun) body(test func(t *testing.T)) func(t *testing.T) {
	return func(t *testing.T) {
		t.Cleanup(b.register(t)) // registered first: runs after the network stops
		stop, err := b.n.Start()
		if errors.Is(err, netsim.ErrNetworkClosed) {
			t.Fatalf("netsimtest.Run: the network was closed before Run (Close it after Run, or let New's cleanup close it): %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
		test(t)
	}
}

// bubbleEnd is how Run's synctest.Test ended: it returned, it panicked
// (with value), or neither (it stopped the test with FailNow).
type bubbleEnd struct {
	returned, panicked bool
	value              any
}
