package capture

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFormatString(t *testing.T) {
	for f, want := range map[Format]string{PCAP: "pcap", PCAPNG: "pcapng", 7: "Format(7)", -1: "Format(-1)"} {
		if got := f.String(); got != want {
			t.Errorf("Format(%d).String() = %q, want %q", int(f), got, want)
		}
	}
}

// TestNewUnknownFormat: a Format that is neither PCAP nor PCAPNG is an
// error, and nothing is written.
func TestNewUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	w, err := New(&buf, Options{Format: 2})
	if err == nil || w != nil || !strings.Contains(err.Error(), "Format(2)") {
		t.Errorf("New(Format 2) = %v, %v; want an error naming Format(2)", w, err)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written", buf.Len())
	}
}

// TestSnapLen: frames longer than the snapshot length are cut to it.
func TestSnapLen(t *testing.T) {
	var buf bytes.Buffer
	w, err := New(&buf, Options{SnapLen: 20})
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.AddInterface("a", "link a")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(id, time.Unix(1, 0), make([]byte, 100), ""); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// A 24-byte file header and a 16-byte record header, then 20 bytes.
	if got := buf.Len(); got != 24+16+20 {
		t.Errorf("capture of %d bytes, want %d", got, 24+16+20)
	}
}
