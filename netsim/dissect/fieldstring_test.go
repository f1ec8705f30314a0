package dissect

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netsim.dev/internal/tsharktest"
	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/pcapread"
)

// TestFieldStringEscapes: -T fields prints a string's backspace, tab,
// newline, form feed and carriage return as \b \t \n \f \r (a value never
// breaks its frame's line), a byte that is not UTF-8 as U+FFFD, the rest as
// it is: what tshark 4.0 prints for an HTTP body holding the bytes 1 to 255.
func TestFieldStringEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Hello, world!\n", `Hello, world!\n`},
		{"a\bb\tc\nd\ve\ff\rg", "a\\bb\\tc\\nd\ve\\ff\\rg"},
		{"\x01\x07\x1b\x7f\\\"", "\x01\x07\x1b\x7f\\\""},
		{"caf\xc3\xa9 \xff\xfe", "caf\u00e9 \ufffd\ufffd"},
		{"", ""},
	} {
		if got := string(appendFieldString(nil, tc.in)); got != tc.want {
			t.Errorf("appendFieldString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	body := make([]byte, 0, 260)
	for c := 1; c < 256; c++ {
		body = append(body, byte(c))
	}
	body = append(body, `\"end`...)
	payload := fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", len(body))
	payload = append(payload, body...)
	server, client := []byte{10, 0, 0, 2}, []byte{10, 0, 0, 1}
	seg := tcpSegment(server, client, 80, 40000, 1000, 2000, 0x18, payload)
	frame := ethFrame([]byte{2, 2, 2, 2, 2, 2}, []byte{4, 4, 4, 4, 4, 4}, 0x0800, ipv4Packet(server, client, 6, 1, seg))
	var buf bytes.Buffer
	w, err := capture.New(&buf, capture.Options{Format: capture.PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	h, err := w.AddInterface("lan", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(h, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), frame, ""); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := pcapread.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	New().Dissect(f, &p)
	got := string(AppendField(nil, &p, Lookup("http.file_data")))
	if strings.ContainsAny(got, "\n\r\t") || !strings.HasSuffix(got, `\"end`) {
		t.Errorf("http.file_data = %q: a control character left as it is, or the end lost", got)
	}
	if got != FieldString(&p, "http.file_data") {
		t.Errorf("AppendField %q, FieldString %q", got, FieldString(&p, "http.file_data"))
	}
	if testing.Short() {
		return
	}
	file := filepath.Join(t.TempDir(), "escapes.pcapng")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(tsharktest.Run(t, "-r", file, "-T", "fields", "-e", "http.file_data"), "\n"); got != want {
		t.Errorf("netsim %q\ntshark %q", got, want)
	}
}
