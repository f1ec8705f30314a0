package dissect

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
)

// TLS 1.2 record decryption (RFC 5246 sections 5, 6.2.3.3 and 6.3; RFC
// 5288 for AES-GCM, RFC 7905 for ChaCha20-Poly1305) with the master
// secret of a key log's CLIENT_RANDOM line, as Wireshark does it: a
// direction's keys are derived at its Change Cipher Spec, from the
// master secret and both hellos' randoms. netsim decrypts the AEAD
// suites (the ones Go's crypto/tls and current browsers use); CBC suites
// stay encrypted.

// tls12Suite describes a TLS 1.2 AEAD cipher suite.
type tls12Suite struct {
	hash    func() hash.Hash
	keyLen  int
	ivLen   int // 4: GCM's implicit salt, 12: ChaCha20's whole nonce mask
	newAEAD func(key []byte) (cipher.AEAD, error)
}

var tls12Suites = map[uint16]tls12Suite{
	0x009c: {sha256.New, 16, 4, aesGCM},               // TLS_RSA_WITH_AES_128_GCM_SHA256
	0x009d: {sha512.New384, 32, 4, aesGCM},            // TLS_RSA_WITH_AES_256_GCM_SHA384
	0x009e: {sha256.New, 16, 4, aesGCM},               // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
	0x009f: {sha512.New384, 32, 4, aesGCM},            // TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
	0xc02b: {sha256.New, 16, 4, aesGCM},               // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	0xc02c: {sha512.New384, 32, 4, aesGCM},            // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
	0xc02f: {sha256.New, 16, 4, aesGCM},               // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	0xc030: {sha512.New384, 32, 4, aesGCM},            // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	0xcca8: {sha256.New, 32, 12, newChaCha20Poly1305}, // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	0xcca9: {sha256.New, 32, 12, newChaCha20Poly1305}, // TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
	0xccaa: {sha256.New, 32, 12, newChaCha20Poly1305}, // TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
}

// tls12PRF is RFC 5246's PRF with the suite's hash: P_hash(secret,
// label + seed), n bytes.
func tls12PRF(h func() hash.Hash, secret []byte, label string, seed []byte, n int) []byte {
	ls := append([]byte(label), seed...)
	mac := hmac.New(h, secret)
	mac.Write(ls)
	a := mac.Sum(nil)
	var out []byte
	for len(out) < n {
		mac.Reset()
		mac.Write(a)
		mac.Write(ls)
		out = mac.Sum(out)
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(nil)
	}
	return out[:n]
}

// tls12Decoder decrypts one direction's TLS 1.2 records.
type tls12Decoder struct {
	aead cipher.AEAD
	iv   []byte
	seq  uint64
}

// tls12Keys sets direction fi's decoder at its Change Cipher Spec, when
// the key log holds the session's master secret and the suite is one
// netsim decrypts.
func (d *Dissector) tls12Keys(st *tlsConv, fi int) {
	st.dec12[fi] = nil
	s, ok := tls12Suites[st.suite]
	master := d.tlsKeys.secret(tlsLabelMaster, st.random)
	if !ok || master == nil || len(st.srandom) != 32 || st.serverDir < 0 || st.serverDir > 1 {
		return
	}
	seed := append(append([]byte(nil), st.srandom...), st.random...)
	kb := tls12PRF(s.hash, master, "key expansion", seed, 2*s.keyLen+2*s.ivLen)
	key, iv := kb[:s.keyLen], kb[2*s.keyLen:2*s.keyLen+s.ivLen] // the client's
	if fi == st.serverDir {
		key, iv = kb[s.keyLen:2*s.keyLen], kb[2*s.keyLen+s.ivLen:]
	}
	a, err := s.newAEAD(key)
	if err != nil {
		return
	}
	st.dec12[fi] = &tls12Decoder{aead: a, iv: iv}
}

// open decrypts a record (header hdr, fragment ct); ok is false when it
// does not authenticate. The sequence number advances only on success.
func (d *tls12Decoder) open(hdr, ct []byte) ([]byte, bool) {
	var nonce [12]byte
	if len(d.iv) == 4 { // GCM: salt and the record's explicit nonce
		if len(ct) < 8+d.aead.Overhead() {
			return nil, false
		}
		copy(nonce[:], d.iv)
		copy(nonce[4:], ct[:8])
		ct = ct[8:]
	} else {
		if len(ct) < d.aead.Overhead() {
			return nil, false
		}
		copy(nonce[:], d.iv)
		for i := 0; i < 8; i++ {
			nonce[4+i] ^= byte(d.seq >> (56 - 8*i))
		}
	}
	var ad [13]byte
	binary.BigEndian.PutUint64(ad[:], d.seq)
	copy(ad[8:11], hdr[:3])
	binary.BigEndian.PutUint16(ad[11:], uint16(len(ct)-d.aead.Overhead()))
	out, err := d.aead.Open(nil, nonce[:], ct, ad[:])
	if err != nil {
		return nil, false
	}
	d.seq++
	if out == nil {
		out = []byte{}
	}
	return out, true
}

// tls12Decrypt decrypts record r of direction fi and decodes its
// handshake messages or alert.
func (d *Dissector) tls12Decrypt(st *tlsConv, fi int, r *TLSRecord, hdr []byte) {
	plain, ok := st.dec12[fi].open(hdr, r.Data)
	if !ok {
		return
	}
	r.Plaintext, r.InnerType = plain, r.ContentType
	switch r.ContentType {
	case 21:
		if len(plain) == 2 {
			r.AlertLevel, r.AlertDesc = plain[0], plain[1]
		} else {
			r.Encrypted = true
		}
	case 22:
		r.Handshakes = parseHandshakes(plain)
	}
}
