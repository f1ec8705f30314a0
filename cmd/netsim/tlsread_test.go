package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netsim.dev/internal/tsharktest"
)

// tlsCapture is the tls13-https scenario's golden capture: TLS 1.3 with
// its key log in Decryption Secrets Blocks.
const tlsCapture = "../../testdata/scenarios/tls13-https.pcapng"

// keyLogOf returns the TLS key log lines of a pcapng capture's
// Decryption Secrets Blocks (little-endian sections, as netsim writes).
func keyLogOf(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var log []byte
	for off := 0; off+12 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		if n < 12 || off+n > len(b) {
			t.Fatalf("%s: bad pcapng block at %d", file, off)
		}
		if binary.LittleEndian.Uint32(b[off:]) == 0x0a && binary.LittleEndian.Uint32(b[off+8:]) == 0x544c534b {
			l := int(binary.LittleEndian.Uint32(b[off+12:]))
			log = append(log, b[off+16:off+16+l]...)
		}
		off += n
	}
	if len(log) == 0 {
		t.Fatalf("%s holds no TLS key log", file)
	}
	return log
}

// TestReadDecryptsTLS: netsim read shows the tls13-https capture as
// tshark does, decrypted with the capture's own secrets; the capture
// without them shows encrypted records; --tls-keylog with the same
// secrets in a file decrypts it again, as tshark's -o tls.keylog_file.
func TestReadDecryptsTLS(t *testing.T) {
	plain := withoutSecrets(t, tlsCapture)
	keyLog := filepath.Join(t.TempDir(), "keylog.txt")
	if err := os.WriteFile(keyLog, keyLogOf(t, tlsCapture), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		args  []string
		tsArg []string
		want  string // a line the output must hold
	}{
		{"embedded secrets", []string{"-r", tlsCapture}, []string{"-r", tlsCapture}, "HTTP 144 GET / HTTP/1.1 "},
		{"no secrets", []string{"-r", plain}, []string{"-r", plain}, "TLSv1.3 144 Application Data"},
		{"--tls-keylog", []string{"-r", plain, "--tls-keylog", keyLog}, []string{"-r", plain, "-o", "tls.keylog_file:" + keyLog}, "HTTP 144 GET / HTTP/1.1 "},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runRead(t, nil, c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("no %q in:\n%s", c.want, out)
			}
			if want := tsharktest.Run(t, c.tsArg...); out != want {
				t.Errorf("netsim:\n%s\ntshark:\n%s", out, want)
			}
		})
	}
	if code, _, errs := runRead(t, nil, "-r", plain, "--tls-keylog", filepath.Join(t.TempDir(), "none")); code != 2 || !strings.Contains(errs, "--tls-keylog") {
		t.Errorf("a missing key log file: exit %d, %q; want 2 and a message naming --tls-keylog", code, errs)
	}
}

// TestReadVerboseDecryptedTLS compares netsim read -V with tshark -V on
// the tls13-https capture as it is (decrypted): every line netsim prints
// is tshark's, in order, and netsim leaves out only a certificate's X.509
// structure (and x509's layers in the frame's protocol list).
func TestReadVerboseDecryptedTLS(t *testing.T) {
	theirs := tsharktest.Run(t, "-V", "-r", tlsCapture)
	code, ours, errs := runRead(t, nil, "-V", "-r", tlsCapture)
	if code != 0 {
		t.Fatalf("netsim read -V: exit %d: %s", code, errs)
	}
	var kept []string
	for _, l := range strings.Split(theirs, "\n") {
		if strings.HasPrefix(l, "    [Protocols in frame: ") {
			for _, p := range []string{":x509sat", ":x509ce", ":x509af"} {
				l = strings.ReplaceAll(l, p, "")
			}
		}
		kept = append(kept, l)
	}
	covered, total, problems, missing := compareVerbose(splitFrames(ours), splitFrames(strings.Join(kept, "\n")))
	for _, p := range problems {
		t.Error(p)
	}
	for _, m := range missing {
		if !strings.HasPrefix(m, strings.Repeat(" ", 20)) {
			t.Errorf("netsim leaves out tshark's %q", m)
		}
	}
	t.Logf("netsim prints %d of tshark's %d lines", covered, total)
}
