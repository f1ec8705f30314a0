package dissect

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"netsim.dev/netsim/capture"
)

// A synthetic TLS 1.3 session, built record by record with known secrets,
// for the cipher suites and messages the tls13-https scenario does not
// produce (AES-256-GCM with SHA-384, ChaCha20-Poly1305, Key Update).

// synthRecord is one encrypted record of a synthetic session: its sender,
// its inner content type and its content.
type synthRecord struct {
	fromServer bool
	inner      uint8
	data       []byte
}

var (
	synthClient = []byte{10, 0, 0, 1}
	synthServer = []byte{10, 0, 0, 2}
	synthMACc   = []byte{2, 0, 0, 0, 0, 1}
	synthMACs   = []byte{2, 0, 0, 0, 0, 2}
)

// synthRandom is the synthetic session's client random.
var synthRandom = bytes.Repeat([]byte{0x5a}, 32)

// synthSecret is the synthetic secret of a key log label for a suite.
func synthSecret(suite uint16, label string) []byte {
	s := tls13Suites[suite]
	h := sha256.Sum256([]byte(label))
	out := bytes.Repeat(h[:], 2)
	return out[:s.hash().Size()]
}

// synthKeyLog is the key log of the synthetic session.
func synthKeyLog(suite uint16) []byte {
	var b bytes.Buffer
	for _, l := range []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"} {
		fmt.Fprintf(&b, "%s %x %x\n", l, synthRandom, synthSecret(suite, l))
	}
	return b.Bytes()
}

// synthHello returns the Client Hello and Server Hello records choosing
// TLS 1.3 and suite.
func synthHello(suite uint16) (client, server []byte) {
	hs := func(typ uint8, body []byte) []byte {
		m := []byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
		m = append(m, body...)
		rec := []byte{22, 3, 1, byte(len(m) >> 8), byte(len(m))}
		return append(rec, m...)
	}
	ch := []byte{3, 3}
	ch = append(ch, synthRandom...)
	ch = append(ch, 0, 0, 2, byte(suite>>8), byte(suite), 1, 0)
	ext := []byte{0, 43, 0, 3, 2, 3, 4}
	ch = append(append(ch, 0, byte(len(ext))), ext...)
	sh := []byte{3, 3}
	sh = append(sh, bytes.Repeat([]byte{0xa5}, 32)...)
	sh = append(sh, 0, byte(suite>>8), byte(suite), 0)
	ext = []byte{0, 43, 0, 2, 3, 4}
	sh = append(append(sh, 0, byte(len(ext))), ext...)
	client, server = hs(1, ch), hs(2, sh)
	server[2] = 3 // a Server Hello's record says TLS 1.2
	return client, server
}

// synthSeal encrypts the records as the session's two ends would: each
// direction under its handshake secret until it sends its Finished, then
// its application secret, moved on by each Key Update it sends.
func synthSeal(t testing.TB, suite uint16, recs []synthRecord) [][]byte {
	t.Helper()
	enc := [2]*tlsDecoder{
		newTLSDecoder(suite, synthSecret(suite, "CLIENT_HANDSHAKE_TRAFFIC_SECRET")),
		newTLSDecoder(suite, synthSecret(suite, "SERVER_HANDSHAKE_TRAFFIC_SECRET")),
	}
	if enc[0] == nil || enc[1] == nil {
		t.Fatalf("suite 0x%04x: no keys", suite)
	}
	var out [][]byte
	for _, r := range recs {
		dir := 0
		if r.fromServer {
			dir = 1
		}
		e := enc[dir]
		plain := append(append([]byte(nil), r.data...), r.inner)
		n := len(plain) + e.aead.Overhead()
		hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
		nonce := e.iv
		for i := 0; i < 8; i++ {
			nonce[4+i] ^= byte(e.seq >> (56 - 8*i))
		}
		e.seq++
		out = append(out, append(hdr, e.aead.Seal(nil, nonce[:], plain, hdr)...))
		if r.inner == 22 && len(r.data) > 0 {
			switch r.data[0] {
			case 20:
				label := "CLIENT_TRAFFIC_SECRET_0"
				if r.fromServer {
					label = "SERVER_TRAFFIC_SECRET_0"
				}
				enc[dir] = newTLSDecoder(suite, synthSecret(suite, label))
			case 24:
				enc[dir] = e.next(suite)
			}
		}
	}
	return out
}

// synthCapture returns a pcapng capture of the session: the TCP
// handshake, the hellos, the records (one a frame) and the key log in a
// Decryption Secrets Block before the Server Hello (withKeys).
func synthCapture(t testing.TB, suite uint16, recs []synthRecord, withKeys bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.New(&buf, capture.Options{Format: capture.PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	h, err := w.AddInterface("lan", "synthetic TLS 1.3")
	if err != nil {
		t.Fatal(err)
	}
	seq := [2]uint32{1000, 5000}
	at := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	send := func(fromServer bool, flags uint8, payload []byte) {
		d := 0
		src, dst, smac, dmac, sp, dp := synthClient, synthServer, synthMACc, synthMACs, uint16(40000), uint16(443)
		if fromServer {
			d = 1
			src, dst, smac, dmac, sp, dp = synthServer, synthClient, synthMACs, synthMACc, 443, 40000
		}
		ack := seq[1-d]
		if flags == 0x02 {
			ack = 0
		}
		seg := tcpSegment(src, dst, sp, dp, seq[d], ack, flags, payload)
		frame := ethFrame(dmac, smac, 0x0800, ipv4Packet(src, dst, 6, 0, seg))
		if err := w.WriteFrame(h, at, frame, ""); err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Millisecond)
		seq[d] += uint32(len(payload))
		if flags&0x03 != 0 {
			seq[d]++
		}
	}
	send(false, 0x02, nil) // SYN
	send(true, 0x12, nil)  // SYN, ACK
	send(false, 0x10, nil) // ACK
	ch, sh := synthHello(suite)
	send(false, 0x18, ch)
	if withKeys {
		if err := w.WriteKeyLog(synthKeyLog(suite)); err != nil {
			t.Fatal(err)
		}
	}
	send(true, 0x18, sh)
	for i, rec := range synthSeal(t, suite, recs) {
		send(recs[i].fromServer, 0x18, rec)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// synthSession is the session TestTLSSynthMatchesTshark reads: encrypted
// extensions with ALPN (in three records), both Finished messages, a request and its
// response, a Key Update from the server, a second request and response
// under the updated key, and the client's close_notify.
func synthSession(suite uint16) []synthRecord {
	vlen := tls13Suites[suite].hash().Size()
	finished := append([]byte{20, 0, 0, byte(vlen)}, bytes.Repeat([]byte{0x11}, vlen)...)
	alpn := []byte{0, 16, 0, 11, 0, 9, 8, 'h', 't', 't', 'p', '/', '1', '.', '1'}
	ee := append([]byte{8, 0, 0, byte(2 + len(alpn)), 0, byte(len(alpn))}, alpn...)
	resp := func(body string) []byte {
		return []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	}
	return []synthRecord{
		// Encrypted Extensions split over three records (the first too
		// short for the message's length), as Wireshark reassembles it.
		{true, 22, ee[:3]},
		{true, 22, ee[3:10]},
		{true, 22, ee[10:]},
		{true, 22, finished},
		{false, 22, finished},
		{false, 23, []byte("GET /a HTTP/1.1\r\nHost: netsim.test\r\n\r\n")},
		{true, 23, resp("first\n")},
		{true, 22, []byte{24, 0, 0, 1, 0}}, // Key Update, update_not_requested
		{false, 23, []byte("GET /b HTTP/1.1\r\nHost: netsim.test\r\n\r\n")},
		{true, 23, resp("second\n")},
		{false, 21, []byte{1, 0}}, // close_notify
	}
}
