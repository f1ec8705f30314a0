// Package payload generates the bytes the transfer demo sends (netsim run
// transfer) and that scripts/gvisorbulk -demo sends to do the same work: a
// deterministic stream from a seed, cheap enough that making it does not
// dominate a bulk transfer, and different at every offset, so that a
// segment delivered twice, out of order or at the wrong offset changes the
// CRC-32 the two ends compare.
//
// The stream is made of 64 KiB blocks. Block 0 is the first 64 KiB of a
// ChaCha8 stream keyed by the seed (the bytes the demo sent before this
// package existed, so a transfer of up to 64 KiB is unchanged); block k is
// block 0 with each little-endian 64-bit word XORed with k·φ (φ =
// 0x9E3779B97F4A7C15, odd, so every block has a different key). Within a
// block every byte is random; across blocks the same offset differs.
// Generating it costs one XOR per byte (SIMD, from crypto/subtle) where
// ChaCha8's Read was about 65% of a 64 MiB transfer's instructions.
package payload

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
)

// BlockSize is the length of the stream's repeating block.
const BlockSize = 64 << 10

// phi is the golden-ratio constant that keys block k with k·phi.
const phi = 0x9E3779B97F4A7C15

// Stream is one connection's payload: the stream of its seed, read from
// the start. It is not safe for concurrent use; its block is shared with
// every Stream of the same seed.
type Stream struct {
	block *[BlockSize]byte
	off   int64
	key   [keyLen]byte // the current block's key, repeated
	keyOf int64        // the block whose key is in key, -1 none
}

// keyLen is how many bytes of a block's key are laid out for one
// subtle.XORBytes call.
const keyLen = 512

// New returns the payload stream of seed.
func New(seed int64) *Stream {
	return &Stream{block: blockOf(seed), keyOf: -1}
}

// last caches the most recent seed's block: a run of the demo (and a
// sweep of one seed) builds it once for all its connections.
var last struct {
	sync.Mutex
	seed  int64
	block *[BlockSize]byte
}

// blockOf returns block 0 of seed: the first [BlockSize] bytes of ChaCha8
// keyed by "netsim transfer SEED" (zero-padded to 32 bytes).
func blockOf(seed int64) *[BlockSize]byte {
	last.Lock()
	defer last.Unlock()
	if last.block != nil && last.seed == seed {
		return last.block
	}
	var s [32]byte
	copy(s[:], fmt.Sprintf("netsim transfer %d", seed))
	b := new([BlockSize]byte)
	rand.NewChaCha8(s).Read(b[:])
	last.seed, last.block = seed, b
	return b
}

// Read fills p with the next len(p) bytes of the stream. It never fails.
func (s *Stream) Read(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := s.off / BlockSize
		j := int(s.off % BlockSize)
		m := min(len(p), BlockSize-j)
		if k == 0 {
			copy(p[:m], s.block[j:j+m])
		} else {
			s.xor(p[:m], s.block[j:j+m], k, j)
		}
		p = p[m:]
		s.off += int64(m)
	}
	return n, nil
}

// xor sets dst to src (block k's bytes from offset j) XORed with block
// k's key.
func (s *Stream) xor(dst, src []byte, k int64, j int) {
	if s.keyOf != k {
		key := uint64(k) * phi
		for i := 0; i < keyLen; i += 8 {
			binary.LittleEndian.PutUint64(s.key[i:], key)
		}
		s.keyOf = k
	}
	// The key's bytes repeat every 8, and keyLen is a multiple of 8: a
	// window starting at j%8 lines up with the block's offset j.
	r := j % 8
	for len(src) > 0 {
		c := min(len(src), keyLen-8)
		subtle.XORBytes(dst[:c], src[:c], s.key[r:r+c])
		dst, src = dst[c:], src[c:]
	}
}
