package payload

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// reference computes the first n bytes of seed's stream one byte at a
// time, from the package's definition.
func reference(seed int64, n int) []byte {
	var s [32]byte
	copy(s[:], fmt.Sprintf("netsim transfer %d", seed))
	block := make([]byte, BlockSize)
	rand.NewChaCha8(s).Read(block)
	out := make([]byte, n)
	for i := range out {
		k := uint64(i / BlockSize)
		out[i] = block[i%BlockSize] ^ byte(k*0x9E3779B97F4A7C15>>(8*(i%8)))
	}
	return out
}

// TestStream: the stream matches the byte-at-a-time definition whatever
// the sizes of the reads, which cross blocks at any offset.
func TestStream(t *testing.T) {
	const n = 5*BlockSize + 12345
	want := reference(3, n)
	for _, sizes := range [][]int{{n}, {1 << 20}, {BlockSize}, {1448}, {1, 7, 8, 9, 511, 513, 65535, 3}} {
		s := New(3)
		got := make([]byte, 0, n)
		for i := 0; len(got) < n; i++ {
			c := min(sizes[i%len(sizes)], n-len(got))
			b := make([]byte, c)
			if k, err := s.Read(b); k != c || err != nil {
				t.Fatalf("Read(%d bytes) = %d, %v", c, k, err)
			}
			got = append(got, b...)
		}
		if !bytes.Equal(got, want) {
			i := 0
			for got[i] == want[i] {
				i++
			}
			t.Errorf("reads of %v: first difference at byte %d", sizes, i)
		}
	}
}

// TestFirstBlock: the first 64 KiB are ChaCha8's, as the transfer demo
// sent them before; the seed matters; later blocks differ from the first
// at every 8-byte word.
func TestFirstBlock(t *testing.T) {
	var key [32]byte
	copy(key[:], "netsim transfer 0")
	want := make([]byte, BlockSize)
	rand.NewChaCha8(key).Read(want)
	got := make([]byte, 3*BlockSize)
	New(0).Read(got)
	if !bytes.Equal(got[:BlockSize], want) {
		t.Error("block 0 is not ChaCha8's first 64 KiB")
	}
	other := make([]byte, BlockSize)
	New(1).Read(other)
	if bytes.Equal(other, want) {
		t.Error("seeds 0 and 1 give the same block")
	}
	for k := 1; k < 3; k++ {
		for w := 0; w < BlockSize; w += 8 {
			if bytes.Equal(got[k*BlockSize+w:k*BlockSize+w+8], want[w:w+8]) {
				t.Fatalf("block %d word %d equals block 0's", k, w/8)
			}
		}
	}
}

func BenchmarkRead(b *testing.B) {
	buf := make([]byte, 1<<20)
	s := New(0)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		s.Read(buf)
	}
}

func BenchmarkChaCha8(b *testing.B) {
	buf := make([]byte, 1<<20)
	r := rand.NewChaCha8([32]byte{})
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		r.Read(buf)
	}
}
