package dissect

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/pcapread"
)

// TestChaCha20Poly1305 checks the AEAD against RFC 8439's test vector
// (section 2.8.2) and that a changed byte fails authentication.
func TestChaCha20Poly1305(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(0x80 + i)
	}
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	nonce := unhex("07000000 40414243 44454647")
	ad := unhex("50515253 c0c1c2c3 c4c5c6c7")
	pt := []byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
	want := unhex("d31a8d34648e60db7b86afbc53ef7ec2 a4aded51296e08fea9e2b5a736ee62d6 3dbea45e8ca9671282fafb69da92728b" +
		"1a71de0a9e060b2905d6a5b67ecd3b36 92ddbd7f2d778b8c9803aee328091b58 fab324e4fad675945585808b4831d7bc" +
		"3ff4def08e4b7a9de576d26586cec64b 6116" + "1ae10b594f09e26a7e902ecbd0600691")
	a, err := newChaCha20Poly1305(key)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Seal(nil, nonce, pt, ad); !bytes.Equal(got, want) {
		t.Fatalf("Seal:\n got %x\nwant %x", got, want)
	}
	got, err := a.Open(nil, nonce, want, ad)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open: %q, %v", got, err)
	}
	for _, i := range []int{0, 57, len(want) - 1} {
		bad := slices.Clone(want)
		bad[i] ^= 1
		if _, err := a.Open(nil, nonce, bad, ad); err == nil {
			t.Errorf("Open accepted the ciphertext with byte %d changed", i)
		}
	}
	if _, err := a.Open(nil, nonce, want[:15], ad); err == nil {
		t.Error("Open accepted 15 bytes")
	}
}

// TestTLSKeyLogLines checks which key log lines are kept.
func TestTLSKeyLogLines(t *testing.T) {
	r := strings.Repeat("ab", 32)
	s32, s48 := strings.Repeat("01", 32), strings.Repeat("02", 48)
	for _, c := range []struct {
		line string
		keep bool
	}{
		{"CLIENT_HANDSHAKE_TRAFFIC_SECRET " + r + " " + s32, true},
		{"SERVER_TRAFFIC_SECRET_0 " + strings.ToUpper(r) + " " + s48, true},
		{"  CLIENT_TRAFFIC_SECRET_0\t" + r + " " + s32 + "\r", true},
		{"CLIENT_RANDOM " + r + " " + s48, true},
		{"CLIENT_RANDOM " + r + " " + s32, false}, // a master secret is 48 bytes
		{"EXPORTER_SECRET " + r + " " + s32, true},
		{"# SERVER_TRAFFIC_SECRET_0 " + r + " " + s32, false},
		{"SERVER_TRAFFIC_SECRET_1 " + r + " " + s32, false},
		{"SERVER_TRAFFIC_SECRET_0 " + r[2:] + " " + s32, false},
		{"SERVER_TRAFFIC_SECRET_0 " + r + " " + s32[1:], false},
		{"SERVER_TRAFFIC_SECRET_0 " + r + " " + strings.Repeat("zz", 32), false},
		{"SERVER_TRAFFIC_SECRET_0 " + r + " " + strings.Repeat("01", 65), false},
		{"SERVER_TRAFFIC_SECRET_0 " + r + " " + s32 + " extra", false},
		{"", false},
	} {
		d := New()
		if got := d.AddTLSKeyLog([]byte(c.line)); got != b2i(c.keep) {
			t.Errorf("%q: kept %d, want %d", c.line, got, b2i(c.keep))
		}
	}
	d := New()
	lines := "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + r + " " + s32 + "\nSERVER_HANDSHAKE_TRAFFIC_SECRET " + r + " " + s48 + "\n"
	if n := d.AddTLSKeyLog([]byte(lines)); n != 2 {
		t.Fatalf("kept %d of 2 lines", n)
	}
	random, _ := hex.DecodeString(r)
	if got := hex.EncodeToString(d.tlsKeys.secret(tlsLabelServerHS, random)); got != s48 {
		t.Errorf("server handshake secret %s, want %s", got, s48)
	}
	if d.tlsKeys.secret(tlsLabelClientApp, random) != nil {
		t.Error("a secret that was not given")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scanFile reads a capture as netsim read does (Scan, which applies its
// Decryption Secrets Blocks) and returns each frame's summary line and
// tree lines.
func scanFile(t *testing.T, file string, keyLog []byte) (lines []string, trees [][]string) {
	t.Helper()
	r, err := pcapread.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := New()
	names := SystemMACNames()
	if names == nil {
		if names, err = LoadMACNames("testdata/manuf"); err != nil {
			t.Fatal(err)
		}
	}
	d.SetMACNames(names, true)
	if keyLog != nil {
		d.AddTLSKeyLog(keyLog)
	}
	err = d.Scan(r, func(p *Packet) error {
		lines = append(lines, Summary(p))
		if got := string(AppendSummary(nil, p)); got != lines[len(lines)-1] {
			t.Errorf("frame %d: AppendSummary %q, Summary %q", p.Number, got, lines[len(lines)-1])
		}
		var sb strings.Builder
		if err := Tree(&sb, p); err != nil {
			t.Fatal(err)
		}
		trees = append(trees, strings.Split(strings.TrimRight(sb.String(), "\n"), "\n"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines, trees
}

// tlsFields are the fields the decryption tests compare with tshark.
var tlsFields = []string{
	"frame.protocols", "tls.record.content_type", "tls.record.opaque_type", "tls.record.length",
	"tls.handshake.type", "tls.handshake.length", "tls.handshake.extension.type",
	"tls.handshake.extensions_alpn_str", "tls.handshake.extensions_server_name", "tls.alert_message.level",
	"tls.alert_message.desc", "tls.app_data", "http.request.method", "http.request.uri", "http.host",
	"http.request.full_uri", "http.response.code", "http.content_length", "http.request_in", "http.time",
	"http.prev_request_in", "http.prev_response_in",
}

// fieldRows returns the tab-separated values of tlsFields for each frame,
// as -T fields prints them.
func fieldRows(t *testing.T, file string, keyLog []byte) []string {
	t.Helper()
	r, err := pcapread.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := New()
	if keyLog != nil {
		d.AddTLSKeyLog(keyLog)
	}
	var rows []string
	defs := make([]*Field, len(tlsFields))
	for i, n := range tlsFields {
		if defs[i] = Lookup(n); defs[i] == nil {
			t.Fatalf("no field %s", n)
		}
	}
	err = d.Scan(r, func(p *Packet) error {
		var b []byte
		for i, f := range defs {
			if i > 0 {
				b = append(b, '\t')
			}
			b = AppendField(b, p, f)
		}
		rows = append(rows, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// tsharkFieldArgs are tshark's arguments for tlsFields.
func tsharkFieldArgs(file string) []string {
	args := []string{"-r", file, "-T", "fields"}
	for _, f := range tlsFields {
		args = append(args, "-e", f)
	}
	return args
}

// checkTreeLines fails unless every line of ours is one of tshark's, in
// tshark's order, and every line of tshark's that ours leaves out is part
// of a certificate's X.509 structure (indented 20 spaces or more); the
// frame's protocol list is compared without x509's layers.
func checkTreeLines(t *testing.T, name string, ours, theirs [][]string) {
	t.Helper()
	if len(ours) != len(theirs) {
		t.Fatalf("%s: %d frames, tshark %d", name, len(ours), len(theirs))
	}
	for i := range ours {
		j := 0
		for k, l := range theirs[i] {
			if strings.HasPrefix(l, "    [Protocols in frame: ") {
				theirs[i][k] = withoutX509(l)
			}
		}
		for _, l := range ours[i] {
			k := j
			for k < len(theirs[i]) && theirs[i][k] != l {
				k++
			}
			if k == len(theirs[i]) {
				t.Errorf("%s frame %d: %q is not a line of tshark's after %q", name, i+1, l, theirs[i][max(j-1, 0)])
				return
			}
			for _, m := range theirs[i][j:k] {
				if !strings.HasPrefix(m, strings.Repeat(" ", 20)) {
					t.Errorf("%s frame %d: netsim leaves out tshark's %q", name, i+1, m)
				}
			}
			j = k + 1
		}
		for _, m := range theirs[i][j:] {
			if !strings.HasPrefix(m, strings.Repeat(" ", 20)) {
				t.Errorf("%s frame %d: netsim leaves out tshark's %q", name, i+1, m)
			}
		}
	}
}

// withoutX509 removes the X.509 dissectors' layers (a certificate's
// attributes and extensions) from a frame.protocols value: netsim does
// not decode certificates.
func withoutX509(s string) string {
	for _, p := range []string{":x509sat", ":x509ce", ":x509af", ":pkix1explicit", ":pkix1implicit"} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}

// compareGolden compares got with the golden file (and rewrites it with
// -update from want, tshark's output).
func compareGolden(t *testing.T, golden string, got []string, live []string) {
	t.Helper()
	if *update && live != nil {
		writeLines(t, golden, live)
	}
	want := readLines(t, golden)
	if live != nil && !slices.Equal(live, want) {
		t.Errorf("%s is not what tshark prints now (regenerate with -update)", golden)
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = withoutX509(want[i])
		}
		if g != w {
			t.Errorf("%s line %d:\nnetsim %q\ntshark %q", filepath.Base(golden), i+1, g, w)
		}
	}
}

func tsharkLines(out string) []string { return strings.Split(strings.TrimRight(out, "\n"), "\n") }

// TestTLSDecryptMatchesTshark reads the tls13-https scenario's capture,
// whose Decryption Secrets Blocks hold its key log, and compares netsim's
// summary lines, the tls.* and http.* fields of the decrypted records and
// the -V tree with tshark's: live unless -short, and the summary lines
// and fields with the goldens in testdata/tls (-update rewrites them).
// tshark shows a certificate's X.509 structure, which netsim leaves out.
func TestTLSDecryptMatchesTshark(t *testing.T) {
	const file = "testdata/tls/tls13-https.pcapng"
	lines, trees := scanFile(t, file, nil)
	rows := fieldRows(t, file, nil)
	var liveLines, liveRows []string
	if !testing.Short() || *update {
		liveLines = tsharkLines(tsharktest.Run(t, "-r", file))
		liveRows = tsharkLines(tsharktest.Run(t, tsharkFieldArgs(file)...))
		checkTreeLines(t, "tls13-https", trees, splitFrames(tsharktest.Run(t, "-V", "-r", file)))
	}
	compareGolden(t, file+".summary", lines, liveLines)
	compareGolden(t, file+".fields", rows, liveRows)
	// The records Wireshark decrypts: the server's four handshake
	// messages after its Server Hello, the client's Finished, the request,
	// the response and both close_notify alerts.
	if !strings.Contains(lines[7], "Encrypted Extensions, Certificate, Certificate Verify, Finished") ||
		!strings.Contains(lines[10], "HTTP 144 GET / HTTP/1.1") || !strings.Contains(lines[13], "HTTP/1.1 200 OK") {
		t.Errorf("not decrypted:\n%s", strings.Join(lines, "\n"))
	}
}

// TestTLSWithoutSecretsUnchanged: the same capture without its secrets
// (editcap --discard-all-secrets) reads as encrypted records, as before
// netsim decrypted, and as tshark shows it.
func TestTLSWithoutSecretsUnchanged(t *testing.T) {
	const plain = "testdata/app/tls13-nosecrets.pcapng"
	lines, _ := scanFile(t, plain, nil)
	want := readLines(t, plain+".summary")
	if !slices.Equal(lines, want) {
		t.Errorf("without secrets:\n%s\nwant (tshark):\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, "HTTP") || strings.Contains(l, "Finished") {
			t.Errorf("decrypted without secrets: %s", l)
		}
	}
	// The key log given through AddTLSKeyLog (as --tls-keylog gives a
	// key log file) decrypts it as the embedded blocks do.
	withKeys, _ := scanFile(t, plain, tls13HTTPSKeyLog(t))
	decrypted := readLines(t, "testdata/tls/tls13-https.pcapng.summary")
	if !slices.Equal(withKeys, decrypted) {
		t.Errorf("with the key log given:\n%s\nwant:\n%s", strings.Join(withKeys, "\n"), strings.Join(decrypted, "\n"))
	}
}

// tls13HTTPSKeyLog returns the key log embedded in the tls13-https
// capture.
func tls13HTTPSKeyLog(t *testing.T) []byte {
	t.Helper()
	r, err := pcapread.Open("testdata/tls/tls13-https.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var log []byte
	for {
		if _, err := r.Next(); err != nil {
			break
		}
		for _, s := range r.TakeSecrets() {
			if s.Type == pcapread.SecretsTLSKeyLog {
				log = append(log, s.Data...)
			}
		}
	}
	if bytes.Count(log, []byte("\n")) != 4 {
		t.Fatalf("key log of %d lines, want 4:\n%s", bytes.Count(log, []byte("\n")), log)
	}
	return log
}

// TestTLSSynthMatchesTshark builds a TLS 1.3 session for each cipher
// suite netsim decrypts (AES-128-GCM, AES-256-GCM with SHA-384,
// ChaCha20-Poly1305), with a Key Update, and compares netsim's summary
// lines, fields and tree with tshark's: live unless -short, and with the
// goldens in testdata/tls.
func TestTLSSynthMatchesTshark(t *testing.T) {
	for _, suite := range []uint16{0x1301, 0x1302, 0x1303} {
		name := "synth-" + hex.EncodeToString([]byte{byte(suite >> 8), byte(suite)})
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), name+".pcapng")
			if err := os.WriteFile(file, synthCapture(t, suite, synthSession(suite), true), 0o644); err != nil {
				t.Fatal(err)
			}
			lines, trees := scanFile(t, file, nil)
			rows := fieldRows(t, file, nil)
			var liveLines, liveRows []string
			if !testing.Short() || *update {
				liveLines = tsharkLines(tsharktest.Run(t, "-r", file))
				liveRows = tsharkLines(tsharktest.Run(t, tsharkFieldArgs(file)...))
				checkTreeLines(t, name, trees, splitFrames(tsharktest.Run(t, "-V", "-r", file)))
			}
			golden := filepath.Join("testdata/tls", name)
			compareGolden(t, golden+".summary", lines, liveLines)
			compareGolden(t, golden+".fields", rows, liveRows)
			var http int
			for _, l := range lines {
				if strings.Contains(l, " HTTP ") {
					http++
				}
			}
			if http != 4 {
				t.Errorf("%d HTTP lines, want 4 (the second pair is under the updated key):\n%s", http, strings.Join(lines, "\n"))
			}
		})
	}
}

// FuzzTLSKeyLog feeds arbitrary key log text to the parser: no panic, and
// every secret kept has a length its label allows.
func FuzzTLSKeyLog(f *testing.F) {
	f.Add(synthKeyLog(0x1301))
	f.Add(synthKeyLog(0x1302))
	f.Add([]byte("CLIENT_RANDOM " + strings.Repeat("ab", 32) + " " + strings.Repeat("cd", 48) + "\n# comment\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k := tlsKeyLog{}
		n := k.add(b)
		if n < len(k) || n > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("kept %d secrets, %d distinct, from %d lines", n, len(k), bytes.Count(b, []byte("\n"))+1)
		}
		for id, s := range k {
			if len(s) < 32 || len(s) > 64 || (id.label == tlsLabelMaster && len(s) != 48) {
				t.Fatalf("label %d: secret of %d bytes", id.label, len(s))
			}
		}
	})
}

// FuzzTLSDecrypted encrypts arbitrary content as a record of a TLS 1.3
// session whose keys netsim has, then reads the session: the record must
// decrypt to that content and type, and decoding it (as handshake
// messages, an alert, HTTP) and rendering every view must not panic.
func FuzzTLSDecrypted(f *testing.F) {
	for _, r := range synthSession(0x1301) {
		f.Add(uint8(0), r.inner, r.fromServer, r.data)
	}
	f.Add(uint8(2), uint8(22), true, []byte{11, 0, 0, 9, 0, 0, 0, 5, 0, 0, 1, 0x30, 0, 0})
	f.Add(uint8(1), uint8(22), false, []byte{24, 0, 0, 1, 1, 20, 0, 0})
	f.Fuzz(func(t *testing.T, suiteSel, inner uint8, fromServer bool, data []byte) {
		if inner == 0 || len(data) > 1<<14 {
			return
		}
		suite := []uint16{0x1301, 0x1302, 0x1303}[int(suiteSel)%3]
		recs := []synthRecord{{fromServer, inner, data}, {fromServer, 23, []byte("GET / HTTP/1.1\r\n\r\n")}}
		capture := synthCapture(t, suite, recs, true)
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
			if p.Number == 6 {
				if p.TLS == nil || len(p.TLS.Records) != 1 {
					t.Fatalf("frame 6: no TLS record")
				}
				rec := p.TLS.Records[0]
				if !rec.Decrypted() || rec.InnerType != inner || !bytes.Equal(rec.Plaintext, data) {
					t.Fatalf("frame 6 decrypted to type %d %x, want %d %x", rec.InnerType, rec.Plaintext, inner, data)
				}
				seen = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !seen {
			t.Fatal("no frame 6")
		}
	})
}
