package demo

import (
	"bufio"
	"crypto/sha256"
	"hash"
	"io"
	"os"
	"path/filepath"
	"testing"

	"netsim.dev/netsim"
)

// BenchmarkDemoTCP runs the book's TCP exchange end to end: network set-up,
// 9 frames, teardown, capture to memory.
func BenchmarkDemoTCP(b *testing.B) {
	d, _ := Lookup("tcp")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Run(Params{Capture: io.Discard}); err != nil {
			b.Fatal(err)
		}
	}
}

// bulk sends size bytes through one TCP connection over a host's loopback
// (MTU 65536) and writes every frame to a pcap file. It returns the frame
// count. With verify, both ends hash the stream and the hashes must match
// (the benchmark leaves it off: hashing would cost more than the network).
func bulk(tb testing.TB, size int, capturePath string, verify bool) int {
	var w io.Writer = io.Discard
	if capturePath != "" {
		f, err := os.Create(capturePath)
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 1<<20)
		defer bw.Flush()
		w = bw
	}
	n, err := netsim.New(netsim.Options{Capture: w, SnapLen: 128})
	if err != nil {
		tb.Fatal(err)
	}
	h, _ := n.AddHost("localhost")
	ln, err := h.Listen("tcp", "127.0.0.1:9000")
	if err != nil {
		tb.Fatal(err)
	}
	var sent, got [32]byte
	var received int64
	n.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			tb.Error(err)
			return
		}
		var hash hash.Hash = discardHash{}
		if verify {
			hash = sha256.New()
		}
		received, err = io.CopyBuffer(hash, c, make([]byte, 256<<10))
		if err != nil {
			tb.Error(err)
		}
		copy(got[:], hash.Sum(nil))
		c.Close()
	})
	n.Go(func() {
		c, err := h.Dial("tcp", "127.0.0.1:9000")
		if err != nil {
			tb.Error(err)
			return
		}
		var hash hash.Hash = discardHash{}
		if verify {
			hash = sha256.New()
		}
		buf := make([]byte, 256<<10)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		for left := size; left > 0; left -= len(buf) {
			chunk := buf[:min(left, len(buf))]
			hash.Write(chunk)
			if _, err := c.Write(chunk); err != nil {
				tb.Error(err)
				return
			}
		}
		copy(sent[:], hash.Sum(nil))
		c.Close()
	})
	if err := n.Run(); err != nil {
		tb.Fatal(err)
	}
	st := n.Stats()
	n.Close()
	if received != int64(size) || sent != got {
		tb.Fatalf("received %d of %d bytes, sha256 equal: %v", received, size, sent == got)
	}
	return st.Frames
}

// BenchmarkBulkLoopback64MiB moves 64 MiB through one TCP connection on a
// host's loopback, every frame written to a pcap file (headers only: snap
// length 128, as a capture for analysis would), and reports MB/s of payload.
func BenchmarkBulkLoopback64MiB(b *testing.B) {
	const size = 64 << 20
	path := filepath.Join(b.TempDir(), "bulk.pcap")
	b.SetBytes(size)
	b.ReportAllocs()
	frames, allocs := 0, mallocs()
	for b.Loop() {
		frames += bulk(b, size, path, false)
	}
	allocs = mallocs() - allocs
	b.ReportMetric(float64(frames)/float64(b.N), "frames/op")
	b.ReportMetric(float64(allocs)/float64(frames), "allocs/frame")
}

func TestBulkLoopback(t *testing.T) {
	if frames := bulk(t, 4<<20, filepath.Join(t.TempDir(), "bulk.pcap"), true); frames < 64 {
		t.Errorf("4 MiB in %d frames", frames)
	}
}

// discardHash counts nothing and hashes nothing.
type discardHash struct{ io.Writer }

func (discardHash) Write(p []byte) (int, error) { return len(p), nil }
func (discardHash) Sum(b []byte) []byte         { return b }
func (discardHash) Reset()                      {}
func (discardHash) Size() int                   { return 0 }
func (discardHash) BlockSize() int              { return 1 }
