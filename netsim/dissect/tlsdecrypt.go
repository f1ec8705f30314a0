package dissect

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
)

// TLS 1.3 record decryption (RFC 8446 sections 5.2, 5.3 and 7), as
// Wireshark's tls dissector does it with a key log: the handshake traffic
// secrets give each direction's keys once the Server Hello is decoded, a
// direction's Finished switches it to its application traffic secret, a
// Key Update to the next generation of that secret.

// tlsSuite describes a TLS 1.3 cipher suite.
type tlsSuite struct {
	hash   func() hash.Hash
	keyLen int
	aead   func(key []byte) (cipher.AEAD, error)
}

func aesGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// tls13Suites are the cipher suites netsim decrypts.
var tls13Suites = map[uint16]tlsSuite{
	0x1301: {sha256.New, 16, aesGCM},              // TLS_AES_128_GCM_SHA256
	0x1302: {sha512.New384, 32, aesGCM},           // TLS_AES_256_GCM_SHA384
	0x1303: {sha256.New, 32, newChaCha20Poly1305}, // TLS_CHACHA20_POLY1305_SHA256
}

// hkdfExpandLabel is RFC 8446's HKDF-Expand-Label with an empty context.
func hkdfExpandLabel(h func() hash.Hash, secret []byte, label string, n int) ([]byte, error) {
	info := make([]byte, 0, 4+6+len(label))
	info = binary.BigEndian.AppendUint16(info, uint16(n))
	info = append(info, byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, 0)
	return hkdf.Expand(h, secret, string(info), n)
}

// tlsDecoder decrypts one direction's records under one traffic secret.
type tlsDecoder struct {
	suite  tlsSuite
	secret []byte
	aead   cipher.AEAD
	iv     [12]byte
	seq    uint64
}

// newTLSDecoder derives the record keys of a traffic secret; nil when the
// suite is not one netsim decrypts or the secret does not fit it.
func newTLSDecoder(suite uint16, secret []byte) *tlsDecoder {
	s, ok := tls13Suites[suite]
	if !ok || len(secret) != s.hash().Size() {
		return nil
	}
	key, err := hkdfExpandLabel(s.hash, secret, "key", s.keyLen)
	if err != nil {
		return nil
	}
	iv, err := hkdfExpandLabel(s.hash, secret, "iv", 12)
	if err != nil {
		return nil
	}
	a, err := s.aead(key)
	if err != nil {
		return nil
	}
	d := &tlsDecoder{suite: s, secret: secret, aead: a}
	copy(d.iv[:], iv)
	return d
}

// next returns the decoder of the following generation of the secret
// (a Key Update), or nil.
func (d *tlsDecoder) next(suite uint16) *tlsDecoder {
	s, err := hkdfExpandLabel(d.suite.hash, d.secret, "traffic upd", len(d.secret))
	if err != nil {
		return nil
	}
	return newTLSDecoder(suite, s)
}

// open decrypts the record whose 5-byte header is hdr and whose fragment
// is ct. It returns the content without padding and the inner content
// type; ok is false when the record does not authenticate (a wrong key,
// a lost record) or holds no content type. The sequence number advances
// only on success.
func (d *tlsDecoder) open(hdr, ct []byte) (plain []byte, typ uint8, ok bool) {
	if len(ct) < d.aead.Overhead() {
		return nil, 0, false
	}
	nonce := d.iv
	for i := 0; i < 8; i++ {
		nonce[4+i] ^= byte(d.seq >> (56 - 8*i))
	}
	out, err := d.aead.Open(nil, nonce[:], ct, hdr)
	if err != nil {
		return nil, 0, false
	}
	d.seq++
	i := len(out) - 1
	for i >= 0 && out[i] == 0 {
		i--
	}
	if i < 0 {
		return nil, 0, false
	}
	return out[:i], out[i], true
}

// tls13HandshakeKeys sets both directions' decoders from the handshake
// traffic secrets once a TLS 1.3 Server Hello (from direction server) is
// decoded, as Wireshark does; a secret missing from the key log leaves
// its direction encrypted.
func (d *Dissector) tls13HandshakeKeys(st *tlsConv, server int) {
	if len(d.tlsKeys) == 0 || server < 0 || server > 1 {
		return
	}
	st.dec[server] = newTLSDecoder(st.suite, d.tlsKeys.secret(tlsLabelServerHS, st.random))
	st.dec[1-server] = newTLSDecoder(st.suite, d.tlsKeys.secret(tlsLabelClientHS, st.random))
}

// tlsDecrypt decrypts record r of direction fi (hdr is its header) and
// decodes its content: handshake messages (a Finished switches the
// direction to its application secret, a Key Update to the secret's next
// generation) and alerts. A record that does not decrypt stays as it is.
func (d *Dissector) tlsDecrypt(st *tlsConv, fi int, r *TLSRecord, hdr []byte, frame int) {
	plain, typ, ok := st.dec[fi].open(hdr, r.Data)
	if !ok {
		return
	}
	r.Plaintext, r.InnerType = plain, typ
	switch typ {
	case 21:
		if len(plain) == 2 {
			r.AlertLevel, r.AlertDesc = plain[0], plain[1]
		} else {
			r.Encrypted = true
		}
	case 22:
		tlsHandshakeRecord(st, fi, r, plain, frame)
		for _, h := range r.Handshakes {
			switch h.Type {
			case 8: // Encrypted Extensions: TLS 1.3's ALPN
				if h.ALPN != "" {
					st.alpn = h.ALPN
				}
			case 20: // Finished
				label := tlsLabelClientApp
				if fi == st.serverDir {
					label = tlsLabelServerApp
				}
				st.dec[fi] = newTLSDecoder(st.suite, d.tlsKeys.secret(label, st.random))
			case 24: // Key Update
				if st.dec[fi] != nil {
					st.dec[fi] = st.dec[fi].next(st.suite)
				}
			}
		}
	}
}

// maxTLSAppBuf bounds the decrypted bytes held for an HTTP message not
// yet complete: a message announcing more is given up.
const maxTLSAppBuf = 16 << 20

// tlsHTTP hands decrypted application data of direction fi to the HTTP
// dissector, keeping a message that continues in the next records.
func (d *Dissector) tlsHTTP(p *Packet, c *appConv, fi int, plain []byte) {
	st := &c.tls
	data := plain
	if len(st.appBuf[fi]) > 0 {
		data = append(st.appBuf[fi], plain...)
	}
	st.appBuf[fi] = nil
	for len(data) > 0 {
		n, ok := d.httpLen(c, fi, data, false)
		if ok && n > 0 && n <= len(data) {
			d.httpMessage(p, c, fi, data[:n])
			data = data[n:]
			continue
		}
		if !httpStarts(data) {
			// Not the start of a message: a continuation.
			d.httpMessage(p, c, fi, data)
			return
		}
		if len(data) <= maxTLSAppBuf {
			st.appBuf[fi] = append([]byte(nil), data...)
		}
		return
	}
}

// maxTLSHandshake bounds a handshake message held for reassembly.
const maxTLSHandshake = 1 << 20

// tlsHandshakeRecord splits a decrypted handshake record b of direction fi
// (in frame) into messages, as Wireshark's tls dissector does: a message
// that continues in the next record is held, and completed by the records
// that follow (Parts says where its bytes came from).
func tlsHandshakeRecord(st *tlsConv, fi int, r *TLSRecord, b []byte, frame int) {
	fr := &st.hsFrag[fi]
	if fr.buf != nil {
		have := len(fr.buf)
		head := append(append([]byte(nil), fr.buf[:min(have, 4)]...), b[:min(len(b), 4)]...)
		need := -1
		take := len(b)
		if len(head) >= 4 {
			need = 4 + (int(head[1])<<16 | int(head[2])<<8 | int(head[3]))
			take = min(take, need-have)
		}
		fr.buf = append(fr.buf, b[:take]...)
		fr.parts = append(fr.parts, Segment{Frame: frame, Len: take})
		b = b[take:]
		if need < 0 || len(fr.buf) < need {
			r.Fragment = &TLSFragment{Type: fr.buf[0], Middle: true}
			if len(fr.buf) > maxTLSHandshake {
				fr.buf, fr.parts = nil, nil
			}
			return
		}
		hs := parseHandshakes(fr.buf)
		hs[0].Parts = fr.parts
		r.Handshakes = append(r.Handshakes, hs[0])
		fr.buf, fr.parts = nil, nil
	}
	for len(b) > 0 {
		n := -1
		if len(b) >= 4 {
			n = 4 + (int(b[1])<<16 | int(b[2])<<8 | int(b[3]))
		}
		if n < 0 || n > len(b) {
			r.Fragment = &TLSFragment{Type: b[0], First: len(r.Handshakes) == 0}
			fr.buf = append([]byte(nil), b...)
			fr.parts = []Segment{{Frame: frame, Len: len(b)}}
			return
		}
		r.Handshakes = append(r.Handshakes, parseHandshakes(b[:n])...)
		b = b[n:]
	}
}
