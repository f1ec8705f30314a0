package demo

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// The network benchmarks of issue 5, which scripts/bench-network.sh sets
// beside the kernel's loopback and beside gVisor without netsim's scheduler:
//
//	(a) BenchmarkSparse: one 100-byte message a second for 60 simulated
//	    seconds over a 100 ms RTT link with 1% loss; metric sim/wall, the
//	    ratio of simulated to wall time (target: at least 10,000);
//	(b) BenchmarkBulkEthernet64MiB: 64 MiB through one TCP connection over
//	    an Ethernet link, every frame written to a pcap file; MB/s, allocs,
//	    frames/op, ns/frame;
//	(c) BenchmarkTransferConns: the transfer demo with 100, 1,000 and 10,000
//	    connections of 1 KiB each; ns/op (wall), frames/s, ns/frame and the
//	    peak of live heap per connection (heap-B/conn).
//
// Wall figures depend on the machine and on its load: compare them within
// one run (the script does), never against a fixed threshold.

// perFrame runs b's loop over run(size), which moves size bytes and
// returns the frames it moved, and reports per frame: frames/op,
// allocs/frame (heap allocations, the set-up of the network, its hosts and
// the connection included), ns/frame (wall) and cpu-ns/frame (the process's
// user and system time). Before the loop (untimed) it also runs run(size/4)
// once: steady-allocs/frame is the allocations the larger run makes beyond
// the smaller one per frame it adds, that is, once the connection is up and
// the set-up is paid (the same set-up, the same frame buffers and pools
// warmed): what each frame of a long transfer costs the garbage collector.
func perFrame(b *testing.B, size int, run func(size int) int) {
	b.ReportAllocs()
	steady := steadyAllocs(size, run)
	frames := 0
	start, cpu, allocs := time.Now(), cpuTime(), mallocs()
	for b.Loop() {
		frames += run(size)
	}
	wall, cpu, allocs := time.Since(start), cpuTime()-cpu, mallocs()-allocs
	b.ReportMetric(float64(frames)/float64(b.N), "frames/op")
	b.ReportMetric(float64(allocs)/float64(frames), "allocs/frame")
	b.ReportMetric(steady, "steady-allocs/frame")
	b.ReportMetric(float64(wall.Nanoseconds())/float64(frames), "ns/frame")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(frames), "cpu-ns/frame")
}

// steadyAllocs runs run at size/4 and at size, each after a warm-up run of
// its size (so pools and the runtime's caches are as full as they get), and
// returns the allocations the larger run made beyond the smaller one per
// frame it added. Each measured run starts after a collection; one during a
// run empties the pools (sync.Pool keeps its items for two cycles), and
// refilling them counts: the figure is what a transfer allocates per frame
// in steady state, pools and GC included.
func steadyAllocs(size int, run func(size int) int) float64 {
	measure := func(size int) (allocs uint64, frames int) {
		run(size)
		runtime.GC()
		allocs = mallocs()
		frames = run(size)
		return mallocs() - allocs, frames
	}
	smallAllocs, smallFrames := measure(size / 4)
	allocs, frames := measure(size)
	if frames <= smallFrames {
		return 0
	}
	return (float64(allocs) - float64(smallAllocs)) / float64(frames-smallFrames)
}

// mallocs returns the number of heap allocations made so far.
func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// readAll reads r to EOF with buf and returns the byte count.
func readAll(r io.Reader, buf []byte) (int64, error) {
	var total int64
	for {
		k, err := r.Read(buf)
		total += int64(k)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// acceptOneAndRead starts a task that accepts one connection on ln, reads
// it to EOF with a buffer of bufSize, and closes both; the count of bytes
// read is in *received once the run is over. (Not io.CopyBuffer(io.Discard,
// ...): io.Discard's ReadFrom reads 8 KiB a call, and each call costs the
// reader DefaultCallTime.)
func acceptOneAndRead(tb testing.TB, n *netsim.Network, ln net.Listener, bufSize int) (received *int64) {
	received = new(int64)
	n.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			tb.Error(err)
			return
		}
		*received, err = readAll(c, make([]byte, bufSize))
		if err != nil {
			tb.Error(err)
		}
		c.Close()
		ln.Close()
	})
	return received
}

// pair returns a network with a client (10.0.0.1) and a server (10.0.0.2)
// joined by the link "client-server" with cfg both ways.
func pair(tb testing.TB, opts netsim.Options, cfg netsim.LinkConfig) (n *netsim.Network, client, server *netsim.Host) {
	tb.Helper()
	n, err := netsim.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	if client, err = n.AddHost("client"); err != nil {
		tb.Fatal(err)
	}
	if server, err = n.AddHost("server"); err != nil {
		tb.Fatal(err)
	}
	if _, err := n.Connect("client-server", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24"), cfg); err != nil {
		tb.Fatal(err)
	}
	return n, client, server
}

// sparse runs the sparse conversation: the client sends msgs messages of
// 100 bytes, one a second, over a link with a 50 ms one-way delay and 1%
// loss each way; the server reads them all. It returns the run's stats.
func sparse(tb testing.TB, msgs int, seed int64) netsim.Stats {
	n, client, server := pair(tb, netsim.Options{Seed: seed, Capture: io.Discard, CaptureFormat: capture.PCAPNG},
		netsim.LinkConfig{Delay: 50 * time.Millisecond, Loss: 0.01})
	ln, err := server.Listen("tcp", ":7000")
	if err != nil {
		tb.Fatal(err)
	}
	got := acceptOneAndRead(tb, n, ln, 4<<10)
	n.Go(func() {
		c, err := client.Dial("tcp", "10.0.0.2:7000")
		if err != nil {
			tb.Error(err)
			return
		}
		msg := make([]byte, 100)
		for i := 0; i < msgs; i++ {
			if i > 0 {
				n.Sleep(time.Second)
			}
			msg[0] = byte(i)
			if _, err := c.Write(msg); err != nil {
				tb.Error(err)
				return
			}
		}
		c.Close()
	})
	if err := n.Run(); err != nil {
		tb.Fatal(err)
	}
	st := n.Stats()
	if err := n.Close(); err != nil {
		tb.Fatal(err)
	}
	if *got != int64(100*msgs) {
		tb.Fatalf("server received %d bytes, want %d", *got, 100*msgs)
	}
	return st
}

// BenchmarkSparse reports sim/wall: the conversation's simulated duration
// (to its last frame) over the wall time of the whole run (set-up, 60
// simulated seconds, the close and TIME_WAIT, teardown).
func BenchmarkSparse(b *testing.B) {
	b.ReportAllocs()
	var sim, frames int64
	start, cpu := time.Now(), cpuTime()
	i := int64(0)
	for b.Loop() {
		st := sparse(b, 60, i)
		sim += int64(st.LastFrame)
		frames += int64(st.Frames)
		i++
	}
	wall, cpu := time.Since(start), cpuTime()-cpu
	b.ReportMetric(float64(sim)/float64(wall), "sim/wall")
	b.ReportMetric(float64(sim)/float64(cpu), "sim/cpu")
	b.ReportMetric(float64(frames)/float64(i), "frames/op")
	b.ReportMetric(float64(wall.Nanoseconds())/float64(frames), "ns/frame")
}

func TestSparse(t *testing.T) {
	st := sparse(t, 60, 1)
	if st.LastFrame < 59*time.Second || st.LastFrame > 70*time.Second {
		t.Errorf("60 messages a second apart: last frame at %v", st.LastFrame)
	}
}

// bulkLink sends size bytes through one TCP connection from client to
// server over an Ethernet link of the given MTU (10 µs each way, no loss),
// every frame written to a pcap file (snap length 128, as a capture for
// analysis would). It returns the frame count.
func bulkLink(tb testing.TB, size, mtu int, capturePath string) int {
	f, err := os.Create(capturePath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	n, client, server := pair(tb, netsim.Options{Capture: bw, SnapLen: 128}, netsim.LinkConfig{MTU: mtu})
	ln, err := server.Listen("tcp", ":9000")
	if err != nil {
		tb.Fatal(err)
	}
	received := acceptOneAndRead(tb, n, ln, 256<<10)
	n.Go(func() {
		c, err := client.Dial("tcp", "10.0.0.2:9000")
		if err != nil {
			tb.Error(err)
			return
		}
		buf := make([]byte, 256<<10)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		for left := size; left > 0; left -= len(buf) {
			if _, err := c.Write(buf[:min(left, len(buf))]); err != nil {
				tb.Error(err)
				return
			}
		}
		c.Close()
	})
	if err := n.Run(); err != nil {
		tb.Fatal(err)
	}
	st := n.Stats()
	if err := n.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if *received != int64(size) {
		tb.Fatalf("received %d of %d bytes", *received, size)
	}
	return st.Frames
}

// BenchmarkBulkEthernet64MiB moves 64 MiB over an Ethernet link at MTU 1500
// and at MTU 65535 (the largest an Ethernet link takes; a host's loopback,
// 65536, is BenchmarkBulkLoopback64MiB), capturing every frame to a file.
func BenchmarkBulkEthernet64MiB(b *testing.B) {
	const size = 64 << 20
	for _, mtu := range []int{1500, 65535} {
		b.Run(fmt.Sprintf("mtu=%d", mtu), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bulk.pcap")
			b.SetBytes(size)
			perFrame(b, size, func(size int) int { return bulkLink(b, size, mtu, path) })
		})
	}
}

func TestBulkEthernet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bulk.pcap")
	for _, mtu := range []int{1500, 65535} {
		if frames := bulkLink(t, 4<<20, mtu, path); frames < (4<<20)/mtu {
			t.Errorf("MTU %d: 4 MiB in %d frames", mtu, frames)
		}
	}
}

// heapPeak samples runtime metric name (a heap size in bytes) every
// millisecond of wall time until stop is called, which returns the largest
// sample. A plain goroutine: it reads runtime metrics, never the network.
func heapPeak(name string) (stop func() uint64) {
	sample := []metrics.Sample{{Name: name}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	var (
		mu   sync.Mutex
		peak = read()
		done = make(chan struct{})
		over = make(chan struct{})
	)
	go func() {
		defer close(over)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				v := read()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-over
		mu.Lock()
		defer mu.Unlock()
		return max(peak, read())
	}
}

// BenchmarkTransferConns runs the transfer demo (client and server hosts
// over one Ethernet link, 10 µs each way) with N connections opened at once,
// each carrying 1 KiB, capture to memory discarded. heap-B/conn is the peak
// of live heap during the run, less the live heap before it, per
// connection (heap objects, garbage not yet swept included: with GOGC=100
// about twice the live heap, plus the goroutine stacks, which count in the
// GC's goal); live-B/conn is the peak of the heap the GC found live, the
// state connections keep; scripts/bench-network.sh also measures peak RSS.
func BenchmarkTransferConns(b *testing.B) {
	d, _ := Lookup("transfer")
	for _, conns := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			benchConns(b, conns, func() (netsim.Stats, error) {
				return d.Run(Params{Conns: conns, Size: 1 << 10, Capture: io.Discard})
			})
		})
	}
}

// benchConns runs one connection benchmark: run opens conns connections
// and returns the run's stats. A run that fails skips the benchmark (with
// the error) rather than stopping the others. allocs/conn is the heap
// allocations per connection (the network's set-up, about 2,000, included).
func benchConns(b *testing.B, conns int, run func() (netsim.Stats, error)) {
	b.ReportAllocs()
	var frames int
	var wall, cpu time.Duration
	var heap, live float64
	var allocs uint64
	const objects, marked = "/memory/classes/heap/objects:bytes", "/gc/heap/live:bytes"
	for b.Loop() {
		runtime.GC()
		sample := []metrics.Sample{{Name: objects}, {Name: marked}}
		metrics.Read(sample)
		base, liveBase := sample[0].Value.Uint64(), sample[1].Value.Uint64()
		stop, stopLive := heapPeak(objects), heapPeak(marked)
		start, cpu0, allocs0 := time.Now(), cpuTime(), mallocs()
		st, err := run()
		wall += time.Since(start)
		cpu += cpuTime() - cpu0
		allocs += mallocs() - allocs0
		peak, livePeak := stop(), stopLive()
		if err != nil {
			b.Skipf("FAILED with %d connections: %v", conns, err)
		}
		frames += st.Frames
		if peak > base {
			heap = max(heap, float64(peak-base)/float64(conns))
		}
		if livePeak > liveBase {
			live = max(live, float64(livePeak-liveBase)/float64(conns))
		}
	}
	b.ReportMetric(float64(frames)/float64(b.N), "frames/op")
	b.ReportMetric(float64(allocs)/float64(b.N)/float64(conns), "allocs/conn")
	b.ReportMetric(float64(frames)/wall.Seconds(), "frames/s")
	b.ReportMetric(float64(wall.Nanoseconds())/float64(frames), "ns/frame")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(frames), "cpu-ns/frame")
	b.ReportMetric(heap, "heap-B/conn")
	b.ReportMetric(live, "live-B/conn")
	if kb := peakRSS(); kb > 0 {
		b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
	}
}

// peakRSS returns the process's peak resident set size in KiB (VmHWM in
// /proc/self/status), or 0 where there is no /proc. It covers the whole
// process: run one benchmark per process to read it per case.
func peakRSS() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kb
		}
	}
	return 0
}

// staggerGap is the time between two dials in connsStaggered: a little
// more than the server's accept loop needs per connection (one Accept, one
// socket call of DefaultCallTime, 20 µs), so that the accept queue never
// overflows. With 1 µs, 10,000 connections took 96,602 frames (SYN cookies
// and retransmissions) instead of 90,002; with 10 µs, 90,908.
const staggerGap = 25 * time.Microsecond

// connsStaggered is the transfer demo's workload (client 10.0.0.1 to server
// 10.0.0.2 over one Ethernet link, 10 µs each way, conns connections of
// size bytes each, capture discarded), except that client i dials
// i*staggerGap after the start instead of all at once: the SYNs then
// neither overflow the 256-packet ARP queue nor the server's accept queue
// (4096). Each connection takes 9 frames, the run 2+9*conns (the feasibility
// study's count). It returns the stats and an error if a byte went missing.
func connsStaggered(conns, size int) (netsim.Stats, error) {
	n, err := netsim.New(netsim.Options{Capture: io.Discard})
	if err != nil {
		return netsim.Stats{}, err
	}
	defer n.Close()
	client, _ := n.AddHost("client")
	server, _ := n.AddHost("server")
	if _, err := n.Connect("client-server", client.Iface("eth0", "10.0.0.1/24"), server.Iface("eth0", "10.0.0.2/24")); err != nil {
		return netsim.Stats{}, err
	}
	ln, err := server.Listen("tcp", ":5001")
	if err != nil {
		return netsim.Stats{}, err
	}
	var errs []error
	var got int64
	n.Go(func() {
		for i := 0; i < conns; i++ {
			c, err := ln.Accept()
			if err != nil {
				errs = append(errs, err)
				return
			}
			n.Go(func() {
				k, err := readAll(c, make([]byte, 4<<10))
				if err != nil {
					errs = append(errs, err)
				}
				got += k
				c.Close()
			})
		}
		ln.Close()
	})
	for i := 0; i < conns; i++ {
		n.Go(func() {
			n.Sleep(time.Duration(i+1) * staggerGap)
			c, err := client.Dial("tcp", "10.0.0.2:5001")
			if err != nil {
				errs = append(errs, err)
				return
			}
			if _, err := c.Write(make([]byte, size)); err != nil {
				errs = append(errs, err)
			}
			c.Close()
		})
	}
	if err := n.Run(); err != nil {
		return n.Stats(), err
	}
	if len(errs) > 0 {
		return n.Stats(), fmt.Errorf("%d errors, the first: %w", len(errs), errs[0])
	}
	if got != int64(conns*size) {
		return n.Stats(), fmt.Errorf("server received %d bytes, want %d", got, conns*size)
	}
	return n.Stats(), nil
}

// BenchmarkConnsStaggered is BenchmarkTransferConns with dials 25 µs apart
// (see connsStaggered): the cost per frame and per connection of many
// connections, apart from what a burst of SYNs does to the queues.
func BenchmarkConnsStaggered(b *testing.B) {
	for _, conns := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			benchConns(b, conns, func() (netsim.Stats, error) { return connsStaggered(conns, 1<<10) })
		})
	}
}

func TestConnsStaggered(t *testing.T) {
	st, err := connsStaggered(200, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	// ARP request and reply, then 9 frames a connection (SYN, SYN/ACK,
	// ACK, data, its ACK, FIN, ACK, FIN, ACK).
	if st.Frames != 2+9*200 {
		t.Errorf("200 connections in %d frames", st.Frames)
	}
}

// BenchmarkTransfer64MiB runs the transfer demo as `netsim run transfer
// --size 64MiB --mtu MTU -w FILE.pcapng` does: one connection over an
// Ethernet link, both ends generating or checking the payload, every frame
// written whole (snap length 262,144) to a pcapng file.
func BenchmarkTransfer64MiB(b *testing.B) {
	const size = 64 << 20
	d, _ := Lookup("transfer")
	for _, mtu := range []int{1500, 65535} {
		b.Run(fmt.Sprintf("mtu=%d", mtu), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "t.pcapng")
			b.SetBytes(size)
			perFrame(b, size, func(size int) int {
				f, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				st, err := d.Run(Params{Size: int64(size), Conns: 1, Hops: 1, Link: netsim.LinkConfig{MTU: mtu},
					Capture: f, Format: capture.PCAPNG, Out: io.Discard})
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					b.Fatal(err)
				}
				return st.Frames
			})
		})
	}
}
