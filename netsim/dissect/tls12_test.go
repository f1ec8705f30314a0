package dissect

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/pcapread"
)

// segmentLog records the bytes each end of a connection writes, in
// order, for a capture of the conversation.
type segmentLog struct {
	mu   sync.Mutex
	segs []synthSegment
}

type synthSegment struct {
	fromServer bool
	data       []byte
}

// logConn is a net.Conn whose writes go to a segmentLog too.
type logConn struct {
	net.Conn
	log        *segmentLog
	fromServer bool
}

func (c *logConn) Write(b []byte) (int, error) {
	c.log.mu.Lock()
	c.log.segs = append(c.log.segs, synthSegment{c.fromServer, slices.Clone(b)})
	c.log.mu.Unlock()
	return c.Conn.Write(b)
}

// syncBuffer is a bytes.Buffer safe for the two ends' key log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// tls12Capture runs one HTTP request and response over Go's crypto/tls
// limited to TLS 1.2 and the given cipher suite, and returns a pcapng
// capture of it (a key log block first, then the TCP segments each
// write made).
func tls12Capture(t *testing.T, suite uint16) []byte {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "netsim.test"},
		DNSNames: []string{"netsim.test"}, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	var log segmentLog
	var keys syncBuffer
	a, b := net.Pipe()
	// A mistake in this test must fail it, not hang it.
	a.SetDeadline(time.Now().Add(20 * time.Second))
	b.SetDeadline(time.Now().Add(20 * time.Second))
	client := tls.Client(&logConn{a, &log, false}, &tls.Config{InsecureSkipVerify: true, ServerName: "netsim.test",
		MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}, NextProtos: []string{"http/1.1"}, KeyLogWriter: &keys})
	server := tls.Server(&logConn{b, &log, true}, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}},
		MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}, NextProtos: []string{"http/1.1"}})
	done := make(chan error, 1)
	go func() {
		br := bufio.NewReader(server)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				done <- err
				return
			}
			if l == "\r\n" {
				break
			}
		}
		_, err := io.WriteString(server, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, TLS 1.2")
		io.Copy(io.Discard, server) // until the client's close_notify
		server.Close()
		done <- err
	}()
	if _, err := io.WriteString(client, "GET / HTTP/1.1\r\nHost: netsim.test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp := make([]byte, 79)
	if _, err := io.ReadFull(client, resp); err != nil {
		t.Fatal(err)
	}
	if got := client.ConnectionState(); got.Version != tls.VersionTLS12 || got.CipherSuite != suite {
		t.Fatalf("negotiated version 0x%04x suite 0x%04x", got.Version, got.CipherSuite)
	}
	client.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	return segmentsCapture(t, "crypto/tls over net.Pipe", keys.b.Bytes(), log.segs)
}

// segmentsCapture is a pcapng of segs as one TCP conversation between
// synthClient:40000 and synthServer:443 (a millisecond apart, PSH+ACK), with
// keyLog (if any) in a Decryption Secrets Block before the first frame.
func segmentsCapture(t testing.TB, comment string, keyLog []byte, segs []synthSegment) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := capture.New(&buf, capture.Options{Format: capture.PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	h, err := w.AddInterface("lan", comment)
	if err != nil {
		t.Fatal(err)
	}
	if len(keyLog) > 0 {
		if err := w.WriteKeyLog(keyLog); err != nil {
			t.Fatal(err)
		}
	}
	seq := [2]uint32{1000, 5000}
	at := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range segs {
		d := 0
		src, dst, smac, dmac, sp, dp := synthClient, synthServer, synthMACc, synthMACs, uint16(40000), uint16(443)
		if s.fromServer {
			d = 1
			src, dst, smac, dmac, sp, dp = synthServer, synthClient, synthMACs, synthMACc, 443, 40000
		}
		seg := tcpSegment(src, dst, sp, dp, seq[d], seq[1-d], 0x18, s.data)
		if err := w.WriteFrame(h, at, ethFrame(dmac, smac, 0x0800, ipv4Packet(src, dst, 6, 0, seg)), ""); err != nil {
			t.Fatal(err)
		}
		seq[d] += uint32(len(s.data))
		at = at.Add(time.Millisecond)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTLS12DecryptMatchesTshark decrypts TLS 1.2 sessions of Go's
// crypto/tls (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305) with their
// CLIENT_RANDOM key log line and, unless -short, compares netsim's
// summary lines, fields and tree with tshark's. (Each run's keys are new,
// so there are no goldens: -short checks that the request, the response
// and the Finished messages decrypted.)
func TestTLS12DecryptMatchesTshark(t *testing.T) {
	for _, suite := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256} {
		t.Run(tls.CipherSuiteName(suite), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "tls12.pcapng")
			if err := os.WriteFile(file, tls12Capture(t, suite), 0o644); err != nil {
				t.Fatal(err)
			}
			lines, trees := scanFile(t, file, nil)
			all := strings.Join(lines, "\n")
			for _, want := range []string{"Change Cipher Spec, Finished", "HTTP", "GET / HTTP/1.1", "HTTP/1.1 200 OK  (text/plain)",
				"Alert (Level: Warning, Description: Close Notify)"} {
				if !strings.Contains(all, want) {
					t.Errorf("no %q in:\n%s", want, all)
				}
			}
			if testing.Short() {
				return
			}
			if want := tsharkLines(tsharktest.Run(t, "-r", file)); !slices.Equal(lines, want) {
				t.Errorf("netsim:\n%s\ntshark:\n%s", all, strings.Join(want, "\n"))
			}
			want := tsharkLines(tsharktest.Run(t, tsharkFieldArgs(file)...))
			for i := range want {
				want[i] = withoutX509(want[i])
			}
			if rows := fieldRows(t, file, nil); !slices.Equal(rows, want) {
				t.Errorf("fields:\nnetsim:\n%s\ntshark:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
			}
			checkTreeLines(t, "tls12", trees, splitFrames(tsharktest.Run(t, "-V", "-r", file)))
		})
	}
}

// synth12Capture returns a pcapng capture of a TLS 1.2 session with
// suite whose records (after each side's Change Cipher Spec) are recs,
// encrypted with keys from a synthetic master secret that a key log
// block before the Server Hello gives.
func synth12Capture(t testing.TB, suite uint16, recs []synthRecord) []byte {
	t.Helper()
	ch, sh := synthHello(suite)
	// TLS 1.2: no supported_versions in the Server Hello.
	sh = append(sh[:len(sh)-8], 0, 0)
	sh[3], sh[4] = byte((len(sh)-5)>>8), byte(len(sh)-5)
	sh[6], sh[7], sh[8] = 0, byte((len(sh)-9)>>8), byte(len(sh)-9)
	master := bytes.Repeat([]byte{0x4d}, 48)
	keyLog := []byte("CLIENT_RANDOM " + hexString(synthRandom) + " " + hexString(master) + "\n")
	s := tls12Suites[suite]
	seed := append(bytes.Repeat([]byte{0xa5}, 32), synthRandom...)
	kb := tls12PRF(s.hash, master, "key expansion", seed, 2*s.keyLen+2*s.ivLen)
	var enc [2]*tls12Decoder
	for dir := range enc {
		key, iv := kb[dir*s.keyLen:(dir+1)*s.keyLen], kb[2*s.keyLen+dir*s.ivLen:2*s.keyLen+(dir+1)*s.ivLen]
		a, err := s.newAEAD(key)
		if err != nil {
			t.Fatal(err)
		}
		enc[dir] = &tls12Decoder{aead: a, iv: iv}
	}
	var buf bytes.Buffer
	w, err := capture.New(&buf, capture.Options{Format: capture.PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	h, err := w.AddInterface("lan", "synthetic TLS 1.2")
	if err != nil {
		t.Fatal(err)
	}
	seq := [2]uint32{1000, 5000}
	at := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	send := func(d int, payload []byte) {
		src, dst, smac, dmac, sp, dp := synthClient, synthServer, synthMACc, synthMACs, uint16(40000), uint16(443)
		if d == 1 {
			src, dst, smac, dmac, sp, dp = synthServer, synthClient, synthMACs, synthMACc, 443, 40000
		}
		seg := tcpSegment(src, dst, sp, dp, seq[d], seq[1-d], 0x18, payload)
		if err := w.WriteFrame(h, at, ethFrame(dmac, smac, 0x0800, ipv4Packet(src, dst, 6, 0, seg)), ""); err != nil {
			t.Fatal(err)
		}
		seq[d] += uint32(len(payload))
		at = at.Add(time.Millisecond)
	}
	send(0, ch)
	if err := w.WriteKeyLog(keyLog); err != nil {
		t.Fatal(err)
	}
	send(1, sh)
	changed := [2]bool{}
	for _, r := range recs {
		d := 0
		if r.fromServer {
			d = 1
		}
		if !changed[d] {
			send(d, []byte{20, 3, 3, 0, 1, 1})
			changed[d] = true
		}
		e := enc[d]
		var nonce [12]byte
		copy(nonce[:], e.iv)
		var explicit []byte
		if len(e.iv) == 4 {
			explicit = binary.BigEndian.AppendUint64(nil, e.seq)
			copy(nonce[4:], explicit)
		} else {
			for i := 0; i < 8; i++ {
				nonce[4+i] ^= byte(e.seq >> (56 - 8*i))
			}
		}
		var ad [13]byte
		binary.BigEndian.PutUint64(ad[:], e.seq)
		ad[8], ad[9], ad[10] = r.inner, 3, 3
		binary.BigEndian.PutUint16(ad[11:], uint16(len(r.data)))
		body := append(explicit, e.aead.Seal(nil, nonce[:], r.data, ad[:])...)
		e.seq++
		send(d, append([]byte{r.inner, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hexString(b []byte) string { return hex.EncodeToString(b) }

// FuzzTLS12Decrypted encrypts arbitrary content as a TLS 1.2 record of a
// session whose master secret netsim has: the record must decrypt to that
// content, and decoding and rendering it must not panic.
func FuzzTLS12Decrypted(f *testing.F) {
	f.Add(uint8(0), uint8(22), false, []byte{20, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add(uint8(1), uint8(23), true, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))
	f.Add(uint8(2), uint8(21), false, []byte{1, 0})
	f.Fuzz(func(t *testing.T, suiteSel, typ uint8, fromServer bool, data []byte) {
		if typ < 21 || typ > 23 || len(data) > 1<<14 {
			return
		}
		suite := []uint16{0xc02b, 0xc030, 0xcca9}[int(suiteSel)%3]
		capture := synth12Capture(t, suite, []synthRecord{{fromServer, typ, data}})
		r, err := pcapread.NewReader(bytes.NewReader(capture))
		if err != nil {
			t.Fatal(err)
		}
		d := New()
		var sink bytes.Buffer
		seen := false
		err = d.Scan(r, func(p *Packet) error {
			sink.Reset()
			sink.WriteString(Summary(p))
			if err := Tree(&sink, p); err != nil {
				return err
			}
			for _, fd := range Fields() {
				sink.WriteString(FieldString(p, fd.Name))
			}
			if p.Number == 4 {
				if p.TLS == nil || len(p.TLS.Records) != 1 {
					t.Fatal("frame 4: no TLS record")
				}
				rec := p.TLS.Records[0]
				if !rec.Decrypted() || rec.Type() != typ || !bytes.Equal(rec.Plaintext, data) {
					t.Fatalf("frame 4 decrypted to type %d %x (decrypted %v), want %d %x", rec.Type(), rec.Plaintext, rec.Decrypted(), typ, data)
				}
				seen = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !seen {
			t.Fatal("no frame 4")
		}
	})
}

// TestTLSHandshakeSplitMatchesTshark: an unencrypted Client Hello split
// over two records (in two segments) reads as tshark reads it: a fragment,
// then the message reassembled, in summary lines and -V (live tshark
// unless -short).
func TestTLSHandshakeSplitMatchesTshark(t *testing.T) {
	ch, sh := synthHello(0xc02b)
	msg := ch[5:]
	rec := func(b []byte) []byte { return append([]byte{22, 3, 1, byte(len(b) >> 8), byte(len(b))}, b...) }
	fileData := segmentsCapture(t, "", nil, []synthSegment{{false, rec(msg[:10])}, {false, rec(msg[10:])}, {true, sh}})
	file := filepath.Join(t.TempDir(), "split.pcapng")
	if err := os.WriteFile(file, fileData, 0o644); err != nil {
		t.Fatal(err)
	}
	lines, trees := scanFile(t, file, nil)
	if len(lines) != 3 || !strings.HasSuffix(lines[0], " [Client Hello Fragment]") || !strings.HasSuffix(lines[1], " Client Hello") {
		t.Errorf("summary:\n%s", strings.Join(lines, "\n"))
	}
	if testing.Short() {
		return
	}
	if want := tsharkLines(tsharktest.Run(t, "-r", file)); !slices.Equal(lines, want) {
		t.Errorf("netsim:\n%s\ntshark:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	checkTreeLines(t, "split", trees, splitFrames(tsharktest.Run(t, "-V", "-r", file)))
}

// TestTLS13DraftVersionMatchesTshark: a Server Hello that selects a TLS 1.3
// draft (0x7f00 | draft) makes the session TLS 1.3, so its records show as
// TLSv1.3; one that selects a version tshark does not know (Chrome's 0x7e01
// experiment) leaves records showing their own version. zeek's traces
// tls13draft16-ff52.a01 and chrome-63.0.3211.0-canary-tls_experiment are
// the captures these stand for.
func TestTLS13DraftVersionMatchesTshark(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version uint16
		want    string // the Protocol column of the server's records
	}{
		{"draft16", 0x7f10, "TLSv1.3"},
		{"draft23", 0x7f17, "TLSv1.3"},
		{"experiment", 0x7e01, "TLSv1.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, sh := synthHello(0x1301)
			// The Server Hello's supported_versions value is its last two bytes.
			sh[len(sh)-2], sh[len(sh)-1] = byte(tc.version>>8), byte(tc.version)
			app := []byte{23, 3, 3, 0, 20}
			app = append(app, bytes.Repeat([]byte{0x5a}, 20)...)
			fileData := segmentsCapture(t, "", nil, []synthSegment{{false, ch}, {true, sh}, {true, app}})
			file := filepath.Join(t.TempDir(), tc.name+".pcapng")
			if err := os.WriteFile(file, fileData, 0o644); err != nil {
				t.Fatal(err)
			}
			lines, _ := scanFile(t, file, nil)
			if len(lines) != 3 || !strings.Contains(lines[1], " "+tc.want+" ") || !strings.Contains(lines[2], " "+tc.want+" ") {
				t.Errorf("summary, want %s for the server's records:\n%s", tc.want, strings.Join(lines, "\n"))
			}
			if testing.Short() {
				return
			}
			if want := tsharkLines(tsharktest.Run(t, "-r", file)); !slices.Equal(lines, want) {
				t.Errorf("netsim:\n%s\ntshark:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
