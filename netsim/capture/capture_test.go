package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
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

// block is one pcapng block: its type and body (between the two lengths).
type block struct {
	typ  uint32
	body []byte
}

// blocks splits a little-endian pcapng stream into its blocks, checking
// that each block's two lengths agree.
func blocks(t *testing.T, b []byte) []block {
	t.Helper()
	var out []block
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("%d bytes left, too few for a block", len(b))
		}
		typ, n := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
		if n%4 != 0 || int(n) > len(b) || n < 12 {
			t.Fatalf("block type %#x: bad length %d (%d bytes left)", typ, n, len(b))
		}
		if end := binary.LittleEndian.Uint32(b[n-4:]); end != n {
			t.Fatalf("block type %#x: lengths %d and %d", typ, n, end)
		}
		out = append(out, block{typ, b[8 : n-4]})
		b = b[n:]
	}
	return out
}

// secrets returns the data of a Decryption Secrets Block's body, checking
// its secrets type and padding.
func secrets(t *testing.T, body []byte) string {
	t.Helper()
	if typ := binary.LittleEndian.Uint32(body); typ != TLSKeyLog {
		t.Fatalf("secrets type %#x, want %#x", typ, TLSKeyLog)
	}
	n := int(binary.LittleEndian.Uint32(body[4:]))
	data := body[8:]
	if want := (n + 3) &^ 3; len(data) != want {
		t.Fatalf("secrets of %d bytes in %d, want %d (padded to 32 bits)", n, len(data), want)
	}
	if pad := data[n:]; !bytes.Equal(pad, make([]byte, len(pad))) {
		t.Errorf("padding % x, want zeros", pad)
	}
	return string(data[:n])
}

func blockTypes(bs []block) []uint32 {
	var out []uint32
	for _, b := range bs {
		out = append(out, b.typ)
	}
	return out
}

const (
	shb = 0x0A0D0D0A
	idb = 1
	epb = 6
	dsb = 0x0A
)

// TestWriteKeyLog: key log lines go into a Decryption Secrets Block at the
// point of the file where they were given, between the frames, padded to
// 32 bits; pcapgo's reader still reads every frame.
func TestWriteKeyLog(t *testing.T) {
	var buf bytes.Buffer
	w, err := New(&buf, Options{Format: PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.AddInterface("lo", "loopback")
	if err != nil {
		t.Fatal(err)
	}
	line1 := "CLIENT_HANDSHAKE_TRAFFIC_SECRET 0102 0304\n"
	line2 := "SERVER_TRAFFIC_SECRET_0 0102 05\n"
	steps := []func() error{
		func() error { return w.WriteFrame(id, time.Unix(1, 0), make([]byte, 60), "") },
		func() error { return w.WriteKeyLog([]byte(line1)) },
		func() error { return w.WriteKeyLog(nil) }, // nothing
		func() error { return w.WriteFrame(id, time.Unix(2, 0), make([]byte, 61), "") },
		func() error { return w.WriteKeyLog([]byte(line2)) },
		func() error { return w.WriteFrame(id, time.Unix(3, 0), make([]byte, 62), "") },
		w.Flush,
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if got := w.SecretsBlocks(); got != 2 {
		t.Errorf("SecretsBlocks() = %d, want 2", got)
	}
	bs := blocks(t, buf.Bytes())
	want := []uint32{shb, idb, epb, dsb, epb, dsb, epb}
	if got := blockTypes(bs); !slices.Equal(got, want) {
		t.Fatalf("block types %#x, want %#x", got, want)
	}
	if got := secrets(t, bs[3].body); got != line1 {
		t.Errorf("first secrets %q, want %q", got, line1)
	}
	if got := secrets(t, bs[5].body); got != line2 {
		t.Errorf("second secrets %q, want %q", got, line2)
	}
	r, err := pcapgo.NewNgReader(bytes.NewReader(buf.Bytes()), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		data, _, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		if len(data) != 60+i {
			t.Errorf("frame %d: %d bytes, want %d", i+1, len(data), 60+i)
		}
	}
	if _, _, err := r.ReadPacketData(); err != io.EOF {
		t.Errorf("after 3 frames: %v, want EOF", err)
	}
}

// TestWriteKeyLogBeforeInterface: lines given before the section header
// exists follow it and the first interface; with no interface at all,
// Flush writes them after the placeholder one.
func TestWriteKeyLogBeforeInterface(t *testing.T) {
	line := "CLIENT_TRAFFIC_SECRET_0 aa bb\n"
	for _, addIface := range []bool{true, false} {
		var buf bytes.Buffer
		w, err := New(&buf, Options{Format: PCAPNG})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteKeyLog([]byte(line)); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 0 || w.SecretsBlocks() != 0 {
			t.Fatalf("%d bytes and %d blocks written before any interface", buf.Len(), w.SecretsBlocks())
		}
		want := []uint32{shb, idb, dsb}
		if addIface {
			id, err := w.AddInterface("lo", "")
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteFrame(id, time.Unix(1, 0), make([]byte, 60), ""); err != nil {
				t.Fatal(err)
			}
			want = append(want, epb)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		bs := blocks(t, buf.Bytes())
		if got := blockTypes(bs); !slices.Equal(got, want) {
			t.Fatalf("interface %v: block types %#x, want %#x", addIface, got, want)
		}
		if got := secrets(t, bs[2].body); got != line {
			t.Errorf("interface %v: secrets %q, want %q", addIface, got, line)
		}
	}
}

// TestWriteKeyLogPCAP: classic pcap has no place for keys: WriteKeyLog
// changes nothing in the file.
func TestWriteKeyLogPCAP(t *testing.T) {
	write := func(keys bool) []byte {
		var buf bytes.Buffer
		w, err := New(&buf, Options{Format: PCAP})
		if err != nil {
			t.Fatal(err)
		}
		id, err := w.AddInterface("lo", "")
		if err != nil {
			t.Fatal(err)
		}
		if keys {
			if err := w.WriteKeyLog([]byte("CLIENT_TRAFFIC_SECRET_0 aa bb\n")); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteFrame(id, time.Unix(1, 0), make([]byte, 60), ""); err != nil {
			t.Fatal(err)
		}
		if keys {
			if err := w.WriteKeyLog([]byte("SERVER_TRAFFIC_SECRET_0 aa bb\n")); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if got := w.SecretsBlocks(); got != 0 {
			t.Errorf("SecretsBlocks() = %d in pcap", got)
		}
		return buf.Bytes()
	}
	if with, without := write(true), write(false); !bytes.Equal(with, without) {
		t.Errorf("pcap with keys (%d bytes) differs from pcap without (%d bytes)", len(with), len(without))
	}
}

// failAfter fails every write after the first n bytes.
type failAfter struct{ n int }

var errFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errFull
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteKeyLogError: a write error is kept, and returned by the next
// calls and by Flush.
func TestWriteKeyLogError(t *testing.T) {
	w, err := New(&failAfter{n: 0}, Options{Format: PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	// The section header and interface sit in the Writer's buffer; a key
	// log bigger than the buffer (bufSize) goes to the writer at once, and
	// fails.
	if _, err := w.AddInterface("lo", ""); err != nil {
		t.Fatalf("AddInterface: %v", err)
	}
	big := bytes.Repeat([]byte("CLIENT_TRAFFIC_SECRET_0 aa bb\n"), 2*bufSize/30)
	if err := w.WriteKeyLog(big); !errors.Is(err, errFull) || !strings.Contains(err.Error(), "decryption secrets block 1") {
		t.Fatalf("WriteKeyLog = %v, want %v in decryption secrets block 1", err, errFull)
	}
	if err := w.WriteKeyLog([]byte("x\n")); !errors.Is(err, errFull) {
		t.Errorf("second WriteKeyLog = %v, want %v", err, errFull)
	}
	if err := w.WriteFrame(0, time.Unix(1, 0), make([]byte, 60), ""); !errors.Is(err, errFull) {
		t.Errorf("WriteFrame = %v, want %v", err, errFull)
	}
	if err := w.Flush(); !errors.Is(err, errFull) {
		t.Errorf("Flush = %v, want %v", err, errFull)
	}
	if got := w.SecretsBlocks(); got != 0 {
		t.Errorf("SecretsBlocks() = %d after a failed write", got)
	}
}
