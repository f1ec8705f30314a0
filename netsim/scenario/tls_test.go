// crypto/tls makes its key shares with crypto/ecdh, which since Go 1.26
// ignores a seeded Config.Rand unless this setting is on.

//go:debug cryptocustomrand=1

package scenario

import (
	"bytes"
	"crypto/fips140"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// recConn records what its end writes.
type recConn struct {
	net.Conn
	sent bytes.Buffer
}

func (c *recConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.sent.Write(p[:n])
	return n, err
}

// tlsRun is what one TLS exchange did.
type tlsRun struct {
	capture           []byte
	client, server    []byte // the bytes each end sent
	clientErr, srvErr error
	state             tls.ConnectionState
}

// tlsParams are tlsConfig's arguments for both ends.
type tlsParams struct {
	clientName, serverName string
	clientALPN, serverALPN []string
	clientSeed, serverSeed int64
	keys                   bool
}

// runTLS runs a TLS 1.3 exchange between two hosts: the client sends a
// request, the server answers, both close.
func runTLS(t *testing.T, p tlsParams) tlsRun {
	t.Helper()
	var buf bytes.Buffer
	n, err := netsim.New(netsim.Options{Seed: 7, Capture: &buf, CaptureFormat: capture.PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c, _ := n.AddHost("client")
	s, _ := n.AddHost("server")
	if _, err := n.Connect("lan", c.Iface("eth0", "10.0.0.1/24"), s.Iface("eth0", "10.0.0.2/24"), netsim.LinkConfig{Delay: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	var keyLog io.Writer
	if p.keys {
		keyLog = n.KeyLogWriter()
	}
	clientCfg, err := tlsConfig("client", p.clientName, p.clientALPN, p.clientSeed, "client/0", n.Now, keyLog)
	if err != nil {
		t.Fatal(err)
	}
	serverCfg, err := tlsConfig("server", p.serverName, p.serverALPN, p.serverSeed, "server/1", n.Now, keyLog)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := s.Listen("tcp", "10.0.0.2:443")
	if err != nil {
		t.Fatal(err)
	}
	var r tlsRun
	var cc, sc *recConn
	n.Go(func() {
		defer ln.Close()
		raw, err := ln.Accept()
		if err != nil {
			r.srvErr = err
			return
		}
		sc = &recConn{Conn: raw}
		conn := tls.Server(sc, serverCfg)
		defer conn.Close()
		req := make([]byte, 5)
		if _, err := io.ReadFull(conn, req); err != nil {
			r.srvErr = err
			return
		}
		_, r.srvErr = conn.Write([]byte("answer to " + string(req)))
	})
	n.Go(func() {
		raw, err := c.Dial("tcp", "10.0.0.2:443")
		if err != nil {
			r.clientErr = err
			return
		}
		cc = &recConn{Conn: raw}
		conn := tls.Client(cc, clientCfg)
		defer conn.Close()
		if _, err := conn.Write([]byte("hello")); err != nil {
			r.clientErr = err
			return
		}
		got, err := io.ReadAll(conn)
		if err == nil && string(got) != "answer to hello" {
			t.Errorf("client got %q", got)
		}
		r.clientErr = err
		r.state = conn.ConnectionState()
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	r.capture = buf.Bytes()
	if cc != nil {
		r.client = cc.sent.Bytes()
	}
	if sc != nil {
		r.server = sc.sent.Bytes()
	}
	return r
}

// records describes the TLS records of a stream: content type, length and
// the first bytes of the sha256 of each, for comparing runs.
func records(b []byte) []string {
	var out []string
	for len(b) >= 5 {
		n := 5 + (int(b[3])<<8 | int(b[4]))
		if n > len(b) {
			n = len(b)
		}
		sum := sha256.Sum256(b[:n])
		out = append(out, hex.EncodeToString(b[:1])+"/"+hex.EncodeToString(b[3:5])+"/"+hex.EncodeToString(sum[:4]))
		b = b[n:]
	}
	return out
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tlsGolden holds, per Go release, the sha256 of the bytes the client
// and the server send in TestTLSConfigRepeats.
var tlsGolden = map[string][2]string{
	"go1.26":                  noMLDSA,
	"go1.26 GOFIPS140=v1.0.0": noMLDSA,
	"go1.27 GOFIPS140=v1.0.0": noMLDSA,
	"go1.27":                  {"8ddce5628633794f0da9e2b161933189a1b7ac0da7322f60eb97f375aaacb222", "9cf4cd46c101dd11a01d65222b8f3cc7345515425144b7703e41d92df8887187"},
}

// noMLDSA is what a client that does not offer ML-DSA sends, and its
// server.
var noMLDSA = [2]string{"9845f48f564075b1169aeb260a27c4e08316196256d38e9386166e425bc49a70", "6b9c361589110aaa85138bec6f0a7872864c2b7452235ce996d8eec221f7e6ee"}

var defaults = tlsParams{serverALPN: []string{"h2", "http/1.1"}, clientALPN: []string{"http/1.1"}, keys: true}

// TestTLSConfigRepeats: the same seed gives the same bytes from both ends
// and the same capture in every run; another seed, other bytes.
func TestTLSConfigRepeats(t *testing.T) {
	runs := 5
	if testing.Short() {
		runs = 3
	}
	captures := map[string]int{}
	var first tlsRun
	for i := range runs {
		r := runTLS(t, defaults)
		if r.clientErr != nil || r.srvErr != nil {
			t.Fatalf("run %d: client %v, server %v", i, r.clientErr, r.srvErr)
		}
		captures[sum(r.capture)]++
		if i == 0 {
			first = r
		}
	}
	if len(captures) != 1 {
		t.Fatalf("%d runs gave %d captures: %v", runs, len(captures), captures)
	}
	if s := first.state; s.Version != tls.VersionTLS13 || s.CurveID != tls.X25519 || s.NegotiatedProtocol != "http/1.1" || s.ServerName != DefaultServerName {
		t.Errorf("version %#x, curve %v, ALPN %q, server name %q; want TLS 1.3, X25519, http/1.1, %s",
			s.Version, s.CurveID, s.NegotiatedProtocol, s.ServerName, DefaultServerName)
	}
	t.Logf("%d runs, 1 capture sha256 %v (%d bytes); client sent %s %v; server sent %s %v", runs, captures, len(first.capture),
		sum(first.client), records(first.client), sum(first.server), records(first.server))

	// The bytes themselves, per Go release: Go 1.27's client offers the
	// ML-DSA signature schemes (0x0904-0x0906) in its ClientHello, in
	// signature_algorithms and signature_algorithms_cert, 12 bytes more
	// than Go 1.26's, and nothing in tls.Config removes them. The
	// ClientHello enters the transcript hash, so every secret and every
	// encrypted byte after it differs too; the ServerHello is the same.
	// Built with GOFIPS140=v1.0.0 (the frozen module, which has no
	// ML-DSA; GODEBUG fips140=off so that X25519 stays allowed), Go
	// 1.27 sends Go 1.26's bytes.
	release := runtime.Version()
	if i := strings.Index(release[2:], "."); i >= 0 {
		if j := strings.IndexAny(release[3+i:], ".-+ "); j >= 0 {
			release = release[:3+i+j]
		}
	}
	if fips140.Version() == "v1.0.0" {
		release += " GOFIPS140=v1.0.0"
	}
	if want, ok := tlsGolden[release]; ok {
		if got := [2]string{sum(first.client), sum(first.server)}; got != want {
			t.Errorf("%s: the client and server sent bytes of sha256 %s, %s; want %s, %s (did the seeded stream or the configuration change?)",
				release, got[0], got[1], want[0], want[1])
		}
	} else {
		t.Logf("%s: no golden bytes for this Go release (only repeatability was checked)", release)
	}

	other := defaults
	other.clientSeed, other.serverSeed = 1, 1
	r := runTLS(t, other)
	if r.clientErr != nil || r.srvErr != nil {
		t.Fatalf("seed 1: client %v, server %v", r.clientErr, r.srvErr)
	}
	if bytes.Equal(r.client, first.client) || bytes.Equal(r.server, first.server) {
		t.Errorf("seeds 0 and 1 sent the same bytes")
	}
}

// TestTLSConfigMismatch: ends that do not agree fail as TLS fails: a
// client that asks for another name than the server's certificate holds,
// or that trusts another seed's authority.
func TestTLSConfigMismatch(t *testing.T) {
	for _, c := range []struct {
		name string
		p    tlsParams
		want string
	}{
		{"name", tlsParams{clientName: "example.com"}, "certificate is valid for netsim.test, not example.com"},
		{"seed", tlsParams{serverSeed: 2}, "certificate signed by unknown authority"},
	} {
		r := runTLS(t, c.p)
		if r.clientErr == nil || !strings.Contains(r.clientErr.Error(), c.want) {
			t.Errorf("%s: client error %v, want one containing %q", c.name, r.clientErr, c.want)
		}
		if r.srvErr == nil {
			t.Errorf("%s: the server's handshake succeeded", c.name)
		}
	}
}

// TestTLSConfigIP: an IP address as the server name is put in the
// certificate as one (no SNI is sent for it).
func TestTLSConfigIP(t *testing.T) {
	r := runTLS(t, tlsParams{clientName: "10.0.0.2", serverName: "10.0.0.2"})
	if r.clientErr != nil || r.srvErr != nil {
		t.Fatalf("client %v, server %v", r.clientErr, r.srvErr)
	}
	if r.state.ServerName != "" {
		t.Errorf("server name %q sent for an IP address", r.state.ServerName)
	}
}

// TestTLSConfigNotRepeatable: with cryptocustomrand off, tlsConfig
// refuses and says how to turn it on.
func TestTLSConfigNotRepeatable(t *testing.T) {
	t.Setenv("GODEBUG", "cryptocustomrand=0")
	_, err := tlsConfig("client", "", nil, 0, "c", time.Now, nil)
	if !errors.Is(err, ErrTLSNotRepeatable) {
		t.Fatalf("tlsConfig = %v, want %v", err, ErrTLSNotRepeatable)
	}
	for _, fix := range []string{"//go:debug cryptocustomrand=1", "GODEBUG=cryptocustomrand=1"} {
		if !strings.Contains(err.Error(), fix) {
			t.Errorf("error %q does not say %q", err, fix)
		}
	}
}

// TestTLSConfigRole: a role other than client or server is an error.
func TestTLSConfigRole(t *testing.T) {
	if _, err := tlsConfig("both", "", nil, 0, "c", time.Now, nil); err == nil || !strings.Contains(err.Error(), `"both"`) {
		t.Errorf("tlsConfig(role both) = %v", err)
	}
}

// TestSeededReader: the stream is fixed, does not depend on how it is
// read, and a one-byte read does not move it on.
func TestSeededReader(t *testing.T) {
	a, b := newSeededReader(1, "x"), newSeededReader(1, "x")
	whole := make([]byte, 100)
	a.Read(whole)
	var parts []byte
	for _, n := range []int{7, 1, 32, 1, 61} {
		p := make([]byte, n)
		b.Read(p)
		if n == 1 {
			if p[0] != maybeByte {
				t.Errorf("one-byte read gave %#x, want %#x", p[0], maybeByte)
			}
			continue
		}
		parts = append(parts, p...)
	}
	if !bytes.Equal(whole, parts) {
		t.Errorf("read whole:\n% x\nin parts:\n% x", whole, parts)
	}
	c := make([]byte, 100)
	newSeededReader(1, "y").Read(c)
	if bytes.Equal(c, whole) {
		t.Errorf("labels x and y give the same stream")
	}
	// Fixed for ever: captures depend on it.
	if got, want := hex.EncodeToString(whole[:8]), "a0af0c2189575f99"; got != want {
		t.Errorf("stream starts %s, want %s", got, want)
	}
}

// TestTLSConfigTshark: tshark decrypts a scenario's TLS with the keys in
// the capture and no option: it sees both Finished messages and the
// server's certificate, for netsim.test, issued by the seed's authority.
func TestTLSConfigTshark(t *testing.T) {
	tsharktest.Path(t)
	r := runTLS(t, defaults)
	file := filepath.Join(t.TempDir(), "tls.pcapng")
	if err := os.WriteFile(file, r.capture, 0o644); err != nil {
		t.Fatal(err)
	}
	filters := []string{"tls.handshake.type == 1", "tls.handshake.type == 20", `x509sat.printableString == "netsim.test" || x509sat.uTF8String == "netsim.test"`, `tls.handshake.extensions_alpn_str == "http/1.1"`}
	want := []int{1, 2, 1, 2}
	for i, got := range tsharktest.Select(t, file, nil, filters...) {
		if len(got) != want[i] {
			t.Errorf("%s selects frames %v, want %d frames", filters[i], got, want[i])
		}
	}
}
