package netsim_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"testing"
	"time"

	"netsim.dev/netsim"
)

func TestBulkTransfer(t *testing.T) {
	const size = 4 << 20
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(data)
	want := sha256.Sum256(data)

	n, h := newNet(t, netsim.Options{})
	var got [32]byte
	var gotLen int
	tcpPair(t, n, h, "127.0.0.1:9000",
		func(c net.Conn) {
			hash := sha256.New()
			k, err := io.Copy(hash, c)
			if err != nil {
				t.Errorf("server Copy: %v", err)
			}
			gotLen = int(k)
			hash.Sum(got[:0])
		},
		func(c net.Conn) {
			// Uneven writes, so segment boundaries do not line up with them.
			for off := 0; off < size; {
				end := min(off+100_003, size)
				k, err := c.Write(data[off:end])
				if err != nil || k != end-off {
					t.Errorf("Write at %d = %d, %v", off, k, err)
					return
				}
				off = end
			}
		})
	mustRun(t, n)
	if gotLen != size || got != want {
		t.Fatalf("received %d bytes, sha256 %x; sent %d bytes, sha256 %x", gotLen, got[:8], size, want[:8])
	}
	if f := n.Stats().Frames; f < size/65483 {
		t.Errorf("only %d frames for %d bytes at MTU 65536", f, size)
	}
}

func TestManyConnections(t *testing.T) {
	const clients = 200
	n, h := newNet(t, netsim.Options{})
	ln, err := h.Listen("tcp", "127.0.0.1:9000")
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	n.Go(func() {
		for range clients {
			c, err := ln.Accept()
			if err != nil {
				t.Errorf("Accept: %v", err)
				return
			}
			n.Go(func() { // one echo task per connection
				defer c.Close()
				io.Copy(c, c)
				served++
			})
		}
		ln.Close()
	})
	ok := 0
	ports := map[int]bool{}
	for i := range clients {
		n.Go(func() {
			c, err := h.Dial("tcp", "127.0.0.1:9000")
			if err != nil {
				t.Errorf("client %d: Dial: %v", i, err)
				return
			}
			ports[c.LocalAddr().(*net.TCPAddr).Port] = true
			msg := []byte(fmt.Sprintf("client %d", i))
			c.Write(msg)
			c.(interface{ CloseWrite() error }).CloseWrite()
			got, err := io.ReadAll(c)
			c.Close()
			if err != nil || !bytes.Equal(got, msg) {
				t.Errorf("client %d: echo %q, %v", i, got, err)
				return
			}
			ok++
		})
	}
	mustRun(t, n)
	if ok != clients || served != clients || len(ports) != clients {
		t.Fatalf("%d clients got their echo, %d served, %d distinct ports; want %d", ok, served, len(ports), clients)
	}
}

// scenario is a small but busy run: a TCP exchange in both directions,
// three clients dialling at the same virtual instant, a UDP exchange, a
// refused connection. It returns the pcap bytes.
func scenario(t testing.TB, seed int64) []byte {
	t.Helper()
	var pcap bytes.Buffer
	n, h := newNet(t, netsim.Options{Seed: seed, Capture: &pcap})
	ln, err := h.Listen("tcp", "127.0.0.1:24000")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		for range 3 {
			c, err := ln.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			n.Go(func() {
				defer c.Close()
				b, _ := io.ReadAll(c)
				c.Write(bytes.Repeat(b, 100))
			})
		}
		ln.Close()
	})
	for i := range 3 {
		n.Go(func() {
			c, err := h.Dial("tcp", "127.0.0.1:24000")
			if err != nil {
				t.Error(err)
				return
			}
			c.Write([]byte{44, 55, 66, byte(i)})
			c.(interface{ CloseWrite() error }).CloseWrite()
			io.Copy(io.Discard, c)
			c.Close()
		})
	}
	pc, err := h.ListenPacket("udp", "127.0.0.1:24001")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		buf := make([]byte, 100)
		k, from, _ := pc.ReadFrom(buf)
		pc.WriteTo(buf[:k], from)
		pc.Close()
	})
	n.Go(func() {
		c, err := h.Dial("udp", "127.0.0.1:24001")
		if err != nil {
			t.Error(err)
			return
		}
		c.Write([]byte("datagram"))
		c.Read(make([]byte, 100))
		c.Close()
		if _, err := h.Dial("tcp", "127.0.0.1:1"); err == nil {
			t.Error("Dial to a closed port succeeded")
		}
	})
	mustRun(t, n)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	return pcap.Bytes()
}

// pcapFrames counts the records of a classic pcap file and checks its
// structure.
func pcapFrames(t testing.TB, b []byte) int {
	t.Helper()
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("not a little-endian microsecond pcap file (%d bytes)", len(b))
	}
	frames := 0
	for off := 24; off < len(b); frames++ {
		if off+16 > len(b) {
			t.Fatalf("truncated record header at %d", off)
		}
		caplen := int(binary.LittleEndian.Uint32(b[off+8:]))
		off += 16 + caplen
		if off > len(b) {
			t.Fatalf("truncated record %d", frames+1)
		}
	}
	return frames
}

func TestDeterministicCapture(t *testing.T) {
	first := scenario(t, 1)
	frames := pcapFrames(t, first)
	if frames < 30 {
		t.Fatalf("scenario captured only %d frames", frames)
	}
	want := sha256.Sum256(first)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for i := range 20 {
		// The same bytes whatever the number of processors gVisor spreads
		// its TCP processing over.
		runtime.GOMAXPROCS(1 + i%4)
		if got := sha256.Sum256(scenario(t, 1)); got != want {
			t.Fatalf("run %d (GOMAXPROCS %d): sha256 %x, first run %x", i+2, 1+i%4, got[:8], want[:8])
		}
	}
}

func TestSeedsGiveDifferentCaptures(t *testing.T) {
	a, b := scenario(t, 1), scenario(t, 2)
	if bytes.Equal(a, b) {
		t.Fatal("seeds 1 and 2 gave the same capture")
	}
	// Same exchange, different ephemeral ports and ISNs: same frame count
	// and timestamps, different bytes.
	if fa, fb := pcapFrames(t, a), pcapFrames(t, b); fa != fb {
		t.Errorf("seed 1 gave %d frames, seed 2 %d", fa, fb)
	}
}

func TestCaptureTimestampsAreVirtual(t *testing.T) {
	var pcap bytes.Buffer
	start := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	n, h := newNet(t, netsim.Options{Capture: &pcap, Start: start, Linger: -1})
	pc, _ := h.ListenPacket("udp", "127.0.0.1:5000")
	n.Go(func() {
		n.Sleep(90 * time.Second)
		pc.WriteTo([]byte("x"), pc.LocalAddr())
		pc.Close()
	})
	mustRun(t, n)
	n.Close()
	b := pcap.Bytes()
	if pcapFrames(t, b) != 1 {
		t.Fatalf("want 1 frame")
	}
	sec := binary.LittleEndian.Uint32(b[24:])
	usec := binary.LittleEndian.Uint32(b[28:])
	got := time.Unix(int64(sec), int64(usec)*1000).UTC()
	if want := start.Add(90 * time.Second); !got.Equal(want) {
		t.Errorf("frame stamped %v, want %v (start + 90 s of virtual time)", got, want)
	}
}

func TestAnotherHostDoesNotChangeTheRun(t *testing.T) {
	// Each host draws from a stream of its own, derived from the seed and
	// its name: adding a host, even before it, does not change what
	// another host does. The ephemeral port shows it.
	port := func(before, after bool) int {
		n, err := netsim.New(netsim.Options{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		if before {
			n.AddHost("h0")
		}
		h, _ := n.AddHost("h1")
		if after {
			n.AddHost("h2")
		}
		p := 0
		tcpPair(t, n, h, "127.0.0.1:24000",
			func(c net.Conn) { io.Copy(io.Discard, c) },
			func(c net.Conn) { p = c.LocalAddr().(*net.TCPAddr).Port })
		mustRun(t, n)
		return p
	}
	alone := port(false, false)
	if alone == 0 {
		t.Fatal("no port")
	}
	if b, a := port(true, false), port(false, true); b != alone || a != alone {
		t.Errorf("h1's ephemeral port: %d alone, %d with a host added before, %d with one after", alone, b, a)
	}
}

// timerScenario leans on the stacks' own timers: SYN retransmissions to an
// address nobody owns, and a receiver that stops reading, so that the
// sender's window closes and it probes it (the persist timer) until the
// receiver drains the connection.
func timerScenario(t testing.TB, seed int64) []byte {
	t.Helper()
	var pcap bytes.Buffer
	n, h := newNet(t, netsim.Options{Seed: seed, Capture: &pcap})
	n.Go(func() {
		ctx, cancel := context.WithDeadline(context.Background(), n.Now().Add(10*time.Second))
		defer cancel()
		if c, err := h.DialContext(ctx, "tcp", "127.0.0.2:80"); err == nil {
			c.Close()
			t.Error("Dial to 127.0.0.2 succeeded")
		}
	})
	tcpPair(t, n, h, "127.0.0.1:24000",
		func(c net.Conn) {
			n.Sleep(20 * time.Second) // the window closes; the sender probes
			if k, _ := io.Copy(io.Discard, c); k != 3<<19 {
				t.Errorf("received %d bytes", k)
			}
		},
		func(c net.Conn) {
			if _, err := c.Write(make([]byte, 3<<19)); err != nil {
				t.Errorf("Write: %v", err)
			}
		})
	mustRun(t, n)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	return pcap.Bytes()
}

func TestDeterministicCaptureWithTimers(t *testing.T) {
	first := timerScenario(t, 3)
	want := sha256.Sum256(first)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for i := range 10 { // 10 runs: this one is slower (-race)
		runtime.GOMAXPROCS(1 + i%4)
		if got := sha256.Sum256(timerScenario(t, 3)); got != want {
			t.Fatalf("run %d (GOMAXPROCS %d): sha256 %x, first run %x", i+2, 1+i%4, got[:8], want[:8])
		}
	}
}
