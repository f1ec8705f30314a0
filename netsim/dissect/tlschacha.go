package dissect

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"math/big"
	"math/bits"
)

// ChaCha20-Poly1305 (RFC 8439) for TLS_CHACHA20_POLY1305_SHA256. The
// standard library keeps its implementation internal and the module does
// not depend on golang.org/x/crypto, so the reader has its own: written
// for clarity, not speed (Poly1305 on math/big), which is enough for
// reading a capture.

type chacha20poly1305 struct{ key [32]byte }

func newChaCha20Poly1305(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("chacha20poly1305: bad key length")
	}
	c := &chacha20poly1305{}
	copy(c.key[:], key)
	return c, nil
}

func (c *chacha20poly1305) NonceSize() int { return 12 }
func (c *chacha20poly1305) Overhead() int  { return 16 }

// chachaBlock computes the ChaCha20 block for a counter and nonce.
func chachaBlock(key *[32]byte, counter uint32, nonce []byte, out *[64]byte) {
	var s, x [16]uint32
	s[0], s[1], s[2], s[3] = 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574
	for i := 0; i < 8; i++ {
		s[4+i] = binary.LittleEndian.Uint32(key[4*i:])
	}
	s[12] = counter
	for i := 0; i < 3; i++ {
		s[13+i] = binary.LittleEndian.Uint32(nonce[4*i:])
	}
	x = s
	qr := func(a, b, c, d int) {
		x[a] += x[b]
		x[d] = bits.RotateLeft32(x[d]^x[a], 16)
		x[c] += x[d]
		x[b] = bits.RotateLeft32(x[b]^x[c], 12)
		x[a] += x[b]
		x[d] = bits.RotateLeft32(x[d]^x[a], 8)
		x[c] += x[d]
		x[b] = bits.RotateLeft32(x[b]^x[c], 7)
	}
	for i := 0; i < 10; i++ {
		qr(0, 4, 8, 12)
		qr(1, 5, 9, 13)
		qr(2, 6, 10, 14)
		qr(3, 7, 11, 15)
		qr(0, 5, 10, 15)
		qr(1, 6, 11, 12)
		qr(2, 7, 8, 13)
		qr(3, 4, 9, 14)
	}
	for i := range x {
		binary.LittleEndian.PutUint32(out[4*i:], x[i]+s[i])
	}
}

// chachaXOR XORs src with the key stream from block counter 1 into dst.
func chachaXOR(key *[32]byte, nonce, dst, src []byte) {
	var ks [64]byte
	for i, ctr := 0, uint32(1); i < len(src); i, ctr = i+64, ctr+1 {
		chachaBlock(key, ctr, nonce, &ks)
		for j := 0; j < 64 && i+j < len(src); j++ {
			dst[i+j] = src[i+j] ^ ks[j]
		}
	}
}

var poly1305P = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 130), big.NewInt(5))

// poly1305 computes the one-time authenticator of msg under key.
func poly1305(key *[32]byte, msg []byte) [16]byte {
	var rb [16]byte
	copy(rb[:], key[:16])
	for _, i := range []int{3, 7, 11, 15} {
		rb[i] &= 15
	}
	for _, i := range []int{4, 8, 12} {
		rb[i] &= 252
	}
	le := func(b []byte) *big.Int { // little-endian bytes to an integer
		r := make([]byte, len(b))
		for i := range b {
			r[len(b)-1-i] = b[i]
		}
		return new(big.Int).SetBytes(r)
	}
	r, s := le(rb[:]), le(key[16:])
	acc := new(big.Int)
	var blk [17]byte
	for len(msg) > 0 {
		n := min(16, len(msg))
		clear(blk[:])
		copy(blk[:], msg[:n])
		blk[n] = 1
		acc.Add(acc, le(blk[:n+1]))
		acc.Mul(acc, r)
		acc.Mod(acc, poly1305P)
		msg = msg[n:]
	}
	acc.Add(acc, s)
	var tag [16]byte
	b := acc.Bytes()
	for i := 0; i < 16 && i < len(b); i++ {
		tag[i] = b[len(b)-1-i]
	}
	return tag
}

// macData is RFC 8439's Poly1305 input for an AEAD: the additional data
// and the ciphertext, each padded to 16 bytes, then both lengths.
func macData(ad, ct []byte) []byte {
	pad := func(b []byte) []byte { return append(b, make([]byte, (16-len(b)%16)%16)...) }
	m := pad(append([]byte(nil), ad...))
	m = pad(append(m, ct...))
	m = binary.LittleEndian.AppendUint64(m, uint64(len(ad)))
	return binary.LittleEndian.AppendUint64(m, uint64(len(ct)))
}

func (c *chacha20poly1305) otk(nonce []byte) [32]byte {
	var b [64]byte
	chachaBlock(&c.key, 0, nonce, &b)
	var k [32]byte
	copy(k[:], b[:32])
	return k
}

func (c *chacha20poly1305) Seal(dst, nonce, plaintext, ad []byte) []byte {
	if len(nonce) != 12 {
		panic("chacha20poly1305: bad nonce length")
	}
	ct := make([]byte, len(plaintext))
	chachaXOR(&c.key, nonce, ct, plaintext)
	k := c.otk(nonce)
	tag := poly1305(&k, macData(ad, ct))
	return append(append(dst, ct...), tag[:]...)
}

func (c *chacha20poly1305) Open(dst, nonce, ciphertext, ad []byte) ([]byte, error) {
	if len(nonce) != 12 || len(ciphertext) < 16 {
		return nil, errors.New("chacha20poly1305: message authentication failed")
	}
	ct, tag := ciphertext[:len(ciphertext)-16], ciphertext[len(ciphertext)-16:]
	k := c.otk(nonce)
	want := poly1305(&k, macData(ad, ct))
	if subtle.ConstantTimeCompare(want[:], tag) != 1 {
		return nil, errors.New("chacha20poly1305: message authentication failed")
	}
	out := make([]byte, len(ct))
	chachaXOR(&c.key, nonce, out, ct)
	return append(dst, out...), nil
}
