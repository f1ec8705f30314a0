// crypto/tls makes its key shares with crypto/ecdh, which since Go 1.26
// ignores a seeded Config.Rand unless this setting is on: without it the
// TLS bytes differ in every run.

//go:debug cryptocustomrand=1

package netsim_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/netsimtest"
	"netsim.dev/netsim/pcapread"
)

// seededRand is a deterministic random stream for tls.Config.Rand: block
// i is sha256(key || i). A one-byte Read gets a fixed byte and does not
// move the stream on, because Go's crypto reads one byte from a custom
// source, or not, at random (randutil.MaybeReadByte).
type seededRand struct {
	key   [32]byte
	ctr   uint64
	block [32]byte
	off   int
}

func newSeededRand(label string) *seededRand {
	return &seededRand{key: sha256.Sum256([]byte(label)), off: 32}
}

func (r *seededRand) Read(p []byte) (int, error) {
	if len(p) == 1 {
		p[0] = 0x5a
		return 1, nil
	}
	for n := 0; n < len(p); {
		if r.off == 32 {
			var in [40]byte
			copy(in[:], r.key[:])
			binary.BigEndian.PutUint64(in[32:], r.ctr)
			r.block, r.ctr, r.off = sha256.Sum256(in[:]), r.ctr+1, 0
		}
		c := copy(p[n:], r.block[r.off:])
		r.off += c
		n += c
	}
	return len(p), nil
}

// tlsConfigs returns a client and a server configuration that repeat
// their bytes: TLS 1.3, X25519 (the hybrid post-quantum key exchange
// makes its keys with crypto/rand), seeded Rand, an ed25519 certificate
// (deterministic signatures) from a fixed seed, the virtual clock.
func tlsConfigs(t testing.TB, n *netsim.Network, clientKeys, serverKeys io.Writer) (client, server *tls.Config) {
	t.Helper()
	seed := sha256.Sum256([]byte("keylog_test server key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "netsim.test"},
		DNSNames:              []string{"netsim.test"},
		NotBefore:             time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(newSeededRand("cert"), tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	base := tls.Config{
		Time:             n.Now,
		MinVersion:       tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519},
		NextProtos:       []string{"http/1.1"},
	}
	client, server = base.Clone(), base.Clone()
	client.Rand, client.RootCAs, client.ServerName, client.KeyLogWriter = newSeededRand("client"), pool, "netsim.test", clientKeys
	server.Rand, server.KeyLogWriter = newSeededRand("server"), serverKeys
	server.Certificates = []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}
	return client, server
}

// keys says which ends give their key log to the capture.
type keys int

const (
	keysNone keys = iota
	keysServer
	keysClient
	keysBoth
)

// httpsExchange runs one HTTP/1.1 GET and its answer over TLS 1.3, from
// host client (10.0.0.1) to host server (10.0.0.2) port 443, and returns
// the capture.
func httpsExchange(t testing.TB, format capture.Format, k keys) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := netsim.New(netsim.Options{Seed: 1, Capture: &buf, CaptureFormat: format})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c, err := n.AddHost("client")
	if err != nil {
		t.Fatal(err)
	}
	s, err := n.AddHost("server")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Connect("lan", c.Iface("eth0", "10.0.0.1/24"), s.Iface("eth0", "10.0.0.2/24"), netsim.LinkConfig{Delay: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	var clientKeys, serverKeys io.Writer
	if k == keysClient || k == keysBoth {
		clientKeys = n.KeyLogWriter()
	}
	if k == keysServer || k == keysBoth {
		serverKeys = n.KeyLogWriter()
	}
	clientCfg, serverCfg := tlsConfigs(t, n, clientKeys, serverKeys)
	ln, err := s.Listen("tcp", "10.0.0.2:443")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		defer ln.Close()
		raw, err := ln.Accept()
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		conn := tls.Server(raw, serverCfg)
		defer conn.Close()
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil {
			t.Errorf("server: %v", err)
			return
		}
		body := "hello from " + req.URL.Path + "\n"
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	})
	n.Go(func() {
		raw, err := c.Dial("tcp", "10.0.0.2:443")
		if err != nil {
			t.Errorf("Dial: %v", err)
			return
		}
		conn := tls.Client(raw, clientCfg)
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /index.txt HTTP/1.1\r\nHost: netsim.test\r\n\r\n"); err != nil {
			t.Errorf("client: %v", err)
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("client: %v", err)
			return
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 || string(got) != "hello from /index.txt\n" {
			t.Errorf("client got %d %q, %v", resp.StatusCode, got, err)
		}
		if cs := conn.ConnectionState(); cs.Version != tls.VersionTLS13 || cs.NegotiatedProtocol != "http/1.1" {
			t.Errorf("TLS version %#x, ALPN %q; want TLS 1.3, http/1.1", cs.Version, cs.NegotiatedProtocol)
		}
	})
	mustRun(t, n)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pcapngSecrets returns the data of the capture's Decryption Secrets
// Blocks, and for each the number of frames (Enhanced Packet Blocks)
// before it.
func pcapngSecrets(t testing.TB, b []byte) (secrets []string, before []int) {
	t.Helper()
	frames := 0
	for len(b) >= 12 {
		typ, size := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
		if size < 12 || int(size) > len(b) {
			t.Fatalf("block %#x of bad length %d", typ, size)
		}
		switch typ {
		case 6:
			frames++
		case 0x0A:
			if st := binary.LittleEndian.Uint32(b[8:]); st != capture.TLSKeyLog {
				t.Errorf("secrets type %#x", st)
			}
			secrets = append(secrets, string(b[16:16+binary.LittleEndian.Uint32(b[12:])]))
			before = append(before, frames)
		}
		b = b[size:]
	}
	return secrets, before
}

// TestKeyLogWriterRepeats: a TLS 1.3 exchange with the server's keys in
// the capture gives the same pcapng, byte for byte, in every run.
func TestKeyLogWriterRepeats(t *testing.T) {
	runs := 5
	if testing.Short() {
		runs = 3
	}
	sums := map[string]int{}
	var first []byte
	for range runs {
		b := httpsExchange(t, capture.PCAPNG, keysServer)
		sum := sha256.Sum256(b)
		sums[hex.EncodeToString(sum[:])]++
		if first == nil {
			first = b
		}
	}
	if len(sums) != 1 {
		t.Fatalf("%d runs gave %d different captures: %v", runs, len(sums), sums)
	}
	t.Logf("%d runs, 1 sha256: %v (%d bytes)", runs, sums, len(first))
	secrets, before := pcapngSecrets(t, first)
	var lines []string
	for _, s := range secrets {
		lines = append(lines, strings.Fields(s)[0])
	}
	// The server logs every secret before its first flight (frame 8),
	// after ARP, the TCP handshake, the ClientHello and its ACK.
	if want := []int{7, 7, 7, 7}; !slices.Equal(before, want) {
		t.Errorf("secrets blocks %q after frames %v, want after %v", lines, before, want)
	}
	// netsim's own reader (netsim read) skips the secrets blocks.
	frames, err := pcapread.NewReader(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for {
		if _, err := frames.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("pcapread, frame %d: %v", count+1, err)
		}
		count++
	}
	if count != 23 {
		t.Errorf("pcapread read %d frames, want 23", count)
	}
	all := strings.Join(secrets, "")
	for _, label := range []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"} {
		if c := strings.Count(all, label+" "); c != 1 {
			t.Errorf("%s: %d lines in the capture, want 1", label, c)
		}
	}
}

// TestKeyLogWriterBothEnds: with both ends' keys, each line is written
// once, at the first end's turn: the capture holds the same lines as with
// the server's alone, at the same places.
func TestKeyLogWriterBothEnds(t *testing.T) {
	server, _ := pcapngSecrets(t, httpsExchange(t, capture.PCAPNG, keysServer))
	both, _ := pcapngSecrets(t, httpsExchange(t, capture.PCAPNG, keysBoth))
	if a, b := strings.Join(server, ""), strings.Join(both, ""); a != b {
		t.Errorf("both ends' keys:\n%s\nserver's:\n%s", b, a)
	}
}

// TestKeyLogWriterNoPlace: with a pcap capture, or none, the key log is
// dropped and the run is unchanged.
func TestKeyLogWriterNoPlace(t *testing.T) {
	with, without := httpsExchange(t, capture.PCAP, keysBoth), httpsExchange(t, capture.PCAP, keysNone)
	if !bytes.Equal(with, without) {
		t.Errorf("pcap with keys (%d bytes) differs from pcap without (%d bytes)", len(with), len(without))
	}
	n, err := netsim.New(netsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	w := n.KeyLogWriter()
	if got, err := io.WriteString(w, "CLIENT_TRAFFIC_SECRET_0 00 00\n"); got != 30 || err != nil {
		t.Errorf("Write with no capture = %d, %v; want 30, nil", got, err)
	}
}

// TestKeyLogWriterLines: lines split over Writes are joined, blank and
// repeated lines dropped, and nothing is written after Close.
func TestKeyLogWriterLines(t *testing.T) {
	var buf bytes.Buffer
	n, h := newNet(t, netsim.Options{Capture: &buf, CaptureFormat: capture.PCAPNG})
	_ = h
	w1, w2 := n.KeyLogWriter(), n.KeyLogWriter()
	for _, step := range []struct {
		w io.Writer
		s string
	}{
		{w1, "A 01"},         // held
		{w2, "B 02\n\n"},     // block 1
		{w1, " 02\nC 03\nD"}, // block 2: "A 01 02\nC 03\n"
		{w2, "B 02\n"},       // a repeat: nothing
		{w1, " 04\nC 03\n"},  // block 3: "D 04\n"
		{w2, "\n  \n"},       // blank: nothing
		{w2, "E 05\nB 02\n"}, // block 4: "E 05\n"
		{w1, "F 06"},         // held, never ended
	} {
		if got, err := io.WriteString(step.w, step.s); got != len(step.s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", step.s, got, err)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(w2, "G 07\n") // after Close: dropped
	secrets, _ := pcapngSecrets(t, buf.Bytes())
	want := []string{"B 02\n", "A 01 02\nC 03\n", "D 04\n", "E 05\n"}
	if strings.Join(secrets, "|") != strings.Join(want, "|") {
		t.Errorf("secrets blocks %q, want %q", secrets, want)
	}
}

// TestKeyLogWriterTshark: tshark decrypts the capture with the keys it
// carries and no key log option: it sees the GET and its 200 and the
// encrypted handshake messages. Without the keys it sees no HTTP, and
// with the client's alone neither: the client logs the server's handshake
// secret only after the server's first flight, which Wireshark then
// cannot decrypt, and it decrypts nothing after that.
func TestKeyLogWriterTshark(t *testing.T) {
	tsharktest.Path(t)
	dir := t.TempDir()
	write := func(name string, k keys) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, httpsExchange(t, capture.PCAPNG, k), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	filters := []string{
		`http.request.method == "GET"`,
		`tls.handshake.type == 1`,
		`http.response.code == 200`,
		`tls.handshake.type == 11`, // Certificate: encrypted in TLS 1.3
		`http`,
	}
	for _, c := range []struct {
		name string
		k    keys
		want []int // frames each filter selects
	}{
		{"server.pcapng", keysServer, []int{1, 1, 1, 1, 2}},
		{"both.pcapng", keysBoth, []int{1, 1, 1, 1, 2}},
		{"client.pcapng", keysClient, []int{0, 1, 0, 0, 0}},
		{"none.pcapng", keysNone, []int{0, 1, 0, 0, 0}},
	} {
		got := tsharktest.Select(t, write(c.name, c.k), nil, filters...)
		for i, f := range filters {
			if len(got[i]) != c.want[i] {
				t.Errorf("%s: %s selects frames %v, want %d frames", c.name, f, got[i], c.want[i])
			}
		}
	}
}

// TestKeyLogWriterTestMode: in test mode, stock net/http over httptest's
// TLS server (netsimtest), with the server's keys in the capture: tshark
// decrypts both requests and both answers. Goroutines of the bubble write
// keys and frames concurrently (run with -race).
func TestKeyLogWriterTestMode(t *testing.T) {
	tsharktest.Path(t)
	n := netsimtest.New(t, netsim.Options{Seed: 3})
	c, err := n.AddHost("client")
	if err != nil {
		t.Fatal(err)
	}
	s, err := n.AddHost("server")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Connect("lan", c.Iface("eth0", "10.0.0.1/24"), s.Iface("eth0", "10.0.0.2/24"), netsim.LinkConfig{Delay: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	netsimtest.Run(t, n, func(t *testing.T) {
		srv := netsimtest.NewUnstartedServer(t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello %s\n", r.URL.Path)
		}))
		srv.TLS = &tls.Config{KeyLogWriter: n.KeyLogWriter()}
		netsimtest.StartTLS(t, srv)
		hc := netsimtest.Client(t, srv, c)
		for _, path := range []string{"/a", "/b"} {
			resp, err := hc.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "hello "+path+"\n" {
				t.Errorf("GET %s: %d %q", path, resp.StatusCode, body)
			}
		}
	})
	file := netsimtest.CaptureFile(t, n)
	filters := []string{`http.request.method == "GET"`, `http.response.code == 200`}
	for i, got := range tsharktest.Select(t, file, nil, filters...) {
		if len(got) != 2 {
			t.Errorf("%s selects frames %v, want 2 frames", filters[i], got)
		}
	}
}
