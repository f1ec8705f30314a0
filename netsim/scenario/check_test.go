package scenario

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// expPcapRecord is where one record of a little-endian classic pcap sits.
type expPcapRecord struct{ start, data, end int }

// expPcapRecords walks a little-endian pcap independently of check.go.
func expPcapRecords(t *testing.T, b []byte) []expPcapRecord {
	t.Helper()
	var recs []expPcapRecord
	for pos := 24; pos < len(b); {
		n := int(binary.LittleEndian.Uint32(b[pos+8:]))
		recs = append(recs, expPcapRecord{pos, pos + 16, pos + 16 + n})
		pos += 16 + n
	}
	return recs
}

// expNGBlock is where one block of a little-endian pcapng sits.
type expNGBlock struct {
	start, end int
	typ        uint32
}

func expNGBlocks(b []byte) []expNGBlock {
	var bs []expNGBlock
	for pos := 0; pos < len(b); {
		n := int(binary.LittleEndian.Uint32(b[pos+4:]))
		bs = append(bs, expNGBlock{pos, pos + n, binary.LittleEndian.Uint32(b[pos:])})
		pos += n
	}
	return bs
}

func expMustDiff(t *testing.T, a, b []byte) *DiffError {
	t.Helper()
	d := diffCaptures(a, b)
	if d == nil {
		t.Fatal("no difference found")
	}
	if !errors.Is(d, ErrNondeterministic) {
		t.Errorf("%v does not match ErrNondeterministic", d)
	}
	t.Log(d)
	return d
}

func TestDiffSame(t *testing.T) {
	for _, name := range []string{"tcp.pcap", "tcp-lossy.pcapng", "transfer-hops.pcapng"} {
		a := expGolden(t, name)
		if d := diffCaptures(a, bytes.Clone(a)); d != nil {
			t.Errorf("%s: %v", name, d)
		}
	}
	if d := diffCaptures(nil, nil); d != nil {
		t.Error(d)
	}
}

func TestDiffFrameByte(t *testing.T) {
	a := expGolden(t, "tcp.pcap")
	recs := expPcapRecords(t, a)
	if len(recs) != 9 {
		t.Fatalf("%d records", len(recs))
	}
	b := bytes.Clone(a)
	// Frame 5's TCP acknowledgment number (Ethernet 14 + IPv4 20 + 8).
	b[recs[4].data+42]++
	d := expMustDiff(t, a, b)
	if d.Frame != 5 || d.Block != "frame" || d.Offset != 42 || d.FileOffset != int64(recs[4].data+42) ||
		d.Time != "0.000050" || d.Interface != "" || d.Frames != [2]int{9, 9} {
		t.Fatalf("%#v", d)
	}
	if !strings.Contains(d.Summary[0], "Ack=4") || !strings.Contains(d.Summary[1], "Ack=16777220") {
		t.Errorf("summaries: %q / %q", d.Summary[0], d.Summary[1])
	}
	want := `tcp.yaml: the two runs differ at frame 5 (time 0.000050): byte 42 of the frame (tcp.ack 0xf7 vs 0xf8); ` +
		`run 1: "5 0.000050 127.0.0.1 → 127.0.0.1 TCP 66 24000 → 32379 [ACK] Seq=1 Ack=4 Win=65280 Len=0 TSval=2189924726 TSecr=2189924726"; ` +
		`run 2: "5 0.000050 127.0.0.1 → 127.0.0.1 TCP 66 [TCP ACKed unseen segment] 24000 → 32379 [ACK] Seq=1 Ack=16777220 Win=65280 Len=0 TSval=2189924726 TSecr=2189924726"`
	d.File = "tcp.yaml"
	if d.Error() != want {
		t.Errorf("got  %s\nwant %s", d.Error(), want)
	}
}

func TestDiffFrameTime(t *testing.T) {
	a := expGolden(t, "tcp.pcap")
	recs := expPcapRecords(t, a)
	b := bytes.Clone(a)
	// Frame 3's microseconds: 20 -> 21 after the first frame.
	us := binary.LittleEndian.Uint32(b[recs[2].start+4:])
	binary.LittleEndian.PutUint32(b[recs[2].start+4:], us+1)
	d := expMustDiff(t, a, b)
	if d.Frame != 3 || d.Offset != -1 || d.Detail != "time 0.000020 vs 0.000021" {
		t.Fatalf("%#v", d)
	}
	// In frame 1 the relative times are both 0: the absolute ones show.
	b = bytes.Clone(a)
	us = binary.LittleEndian.Uint32(b[recs[0].start+4:])
	binary.LittleEndian.PutUint32(b[recs[0].start+4:], us+1)
	d = expMustDiff(t, a, b)
	if d.Frame != 1 || !strings.HasPrefix(d.Detail, "time 20") || !strings.Contains(d.Detail, "Z vs 20") {
		t.Fatalf("%#v", d)
	}
}

func TestDiffFrameDropped(t *testing.T) {
	a := expGolden(t, "tcp.pcap")
	recs := expPcapRecords(t, a)
	b := append(bytes.Clone(a[:recs[4].start]), a[recs[4].end:]...)
	d := expMustDiff(t, a, b)
	if d.Frame != 5 || d.Frames != [2]int{9, 8} || d.Summary[0] == "" || d.Summary[1] == "" {
		t.Fatalf("%#v", d)
	}
	if !strings.Contains(d.Error(), "at frame 5 ") || !strings.HasSuffix(d.Error(), "; run 1 has 9 frames, run 2 has 8") {
		t.Errorf("%s", d)
	}
	// The other way round.
	d = expMustDiff(t, b, a)
	if d.Frame != 5 || d.Frames != [2]int{8, 9} {
		t.Fatalf("%#v", d)
	}
}

func TestDiffFrameMissing(t *testing.T) {
	a := expGolden(t, "tcp.pcap")
	recs := expPcapRecords(t, a)
	b := a[:recs[8].start]
	d := expMustDiff(t, a, b)
	if d.Frame != 9 || d.Frames != [2]int{9, 8} || d.Detail != "run 2 has no frame 9" ||
		d.Summary[1] != "" || !strings.Contains(d.Summary[0], "Seq=5 Ack=2") || d.Time != "0.000100" {
		t.Fatalf("%#v", d)
	}
	d = expMustDiff(t, b, a)
	if d.Frame != 9 || d.Detail != "run 1 has no frame 9" || d.Summary[0] != "" {
		t.Fatalf("%#v", d)
	}
	// A record cut short in run 2.
	d = expMustDiff(t, a, a[:recs[8].end-3])
	if d.Frame != 9 || !strings.HasPrefix(d.Detail, "run 2's capture is unreadable there: ") || d.Frames != [2]int{9, 8} {
		t.Fatalf("%#v", d)
	}
}

func TestDiffFrameLength(t *testing.T) {
	a := expGolden(t, "tcp.pcap")
	recs := expPcapRecords(t, a)
	// Run 2's frame 4 carries one more byte of payload (lengths differ,
	// the data the same up to frame 4's end).
	b := bytes.Clone(a[:recs[3].start])
	hdr := bytes.Clone(a[recs[3].start:recs[3].data])
	n := binary.LittleEndian.Uint32(hdr[8:])
	binary.LittleEndian.PutUint32(hdr[8:], n+1)
	binary.LittleEndian.PutUint32(hdr[12:], n+1)
	b = append(b, hdr...)
	b = append(b, a[recs[3].data:recs[3].end]...)
	b = append(b, 0x4d)
	b = append(b, a[recs[3].end:]...)
	d := expMustDiff(t, a, b)
	if d.Frame != 4 || d.Offset != 69 || d.Detail != "length 69 vs 70, the frame's data is the same up to byte 69" {
		t.Fatalf("%#v", d)
	}
}

func TestDiffHeader(t *testing.T) {
	a := expGolden(t, "tcp.pcap")
	b := bytes.Clone(a)
	b[16]++ // snap length
	d := expMustDiff(t, a, b)
	if d.Frame != 0 || d.Block != "file header" || d.Offset != 16 || d.FileOffset != 16 {
		t.Fatalf("%#v", d)
	}
	want := "x.yaml: the two runs differ in the file header at file offset 16 (byte 16 of the block): 0x00 vs 0x01"
	d.File = "x.yaml"
	if d.Error() != want {
		t.Errorf("got  %s\nwant %s", d, want)
	}
	// pcap against pcapng.
	d = expMustDiff(t, a, expGolden(t, "tcp-lossy.pcapng"))
	if d.Block != "file header" || d.FileOffset != 0 {
		t.Fatalf("%#v", d)
	}
	d = expMustDiff(t, expGolden(t, "tcp-lossy.pcapng"), a)
	if d.Block != "section header block" || d.FileOffset != 0 {
		t.Fatalf("%#v", d)
	}
	// Empty against a capture.
	d = expMustDiff(t, nil, a)
	if d.Block != "file header" || d.Detail != "run 1's capture ends before it" || d.Frames != [2]int{0, 9} {
		t.Fatalf("%#v", d)
	}
}

func TestDiffPcapng(t *testing.T) {
	a := expGolden(t, "tcp-lossy.pcapng")
	bs := expNGBlocks(a)
	if bs[0].typ != 0x0A0D0D0A || bs[1].typ != 1 || bs[2].typ != 6 {
		t.Fatalf("blocks %v", bs[:3])
	}
	// The interface's name, "localhost:lo", in its IDB.
	i := bytes.Index(a, []byte("localhost:lo"))
	if i < bs[1].start || i >= bs[1].end {
		t.Fatal("no interface name")
	}
	b := bytes.Clone(a)
	b[i+10] = 'X'
	d := expMustDiff(t, a, b)
	if d.Frame != 0 || d.Block != "interface description block" || d.Offset != i+10-bs[1].start {
		t.Fatalf("%#v", d)
	}
	// Frame 7's data: its interface name shows.
	b = bytes.Clone(a)
	f7 := bs[1+7]
	b[f7.start+28+40]++
	d = expMustDiff(t, a, b)
	if d.Frame != 7 || d.Offset != 40 || d.Interface != "localhost:lo" || d.Time != "0.202060010" {
		t.Fatalf("%#v", d)
	}
	if !strings.Contains(d.Error(), "at frame 7 (time 0.202060010, interface localhost:lo): byte 40 of the frame") {
		t.Errorf("%s", d)
	}
	// A comment option on frame 2 in run 2 only: the data and time are
	// the same, the comment differs.
	f2 := bs[1+2]
	opt := []byte{1, 0, 2, 0, 'h', 'i', 0, 0, 0, 0, 0, 0} // opt_comment "hi", opt_endofopt
	blk := bytes.Clone(a[f2.start : f2.end-4])
	blk = append(blk, opt...)
	blk = binary.LittleEndian.AppendUint32(blk, uint32(len(blk)+4))
	binary.LittleEndian.PutUint32(blk[4:], uint32(len(blk)))
	b = append(append(bytes.Clone(a[:f2.start]), blk...), a[f2.end:]...)
	d = expMustDiff(t, a, b)
	if d.Frame != 2 || d.Offset != -1 || d.Detail != `comments [] vs ["hi"]` {
		t.Fatalf("%#v", d)
	}
}

// dsb returns a pcapng decryption secrets block holding secret.
func expDSB(secret string) []byte {
	body := binary.LittleEndian.AppendUint32(nil, 0x544c534b) // TLS key log
	body = binary.LittleEndian.AppendUint32(body, uint32(len(secret)))
	body = append(body, secret...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	b := binary.LittleEndian.AppendUint32(nil, 10)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)+12))
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, uint32(len(body)+12))
}

func TestDiffDSB(t *testing.T) {
	g := expGolden(t, "tcp-lossy.pcapng")
	bs := expNGBlocks(g)
	with := func(secret string) []byte {
		b := bytes.Clone(g[:bs[2].start])
		b = append(b, expDSB(secret)...)
		return append(b, g[bs[2].start:]...)
	}
	a, b := with("CLIENT_RANDOM 00 11"), with("CLIENT_RANDOM 00 12")
	if diffCaptures(a, bytes.Clone(a)) != nil {
		t.Fatal("same captures differ")
	}
	d := expMustDiff(t, a, b)
	if d.Frame != 0 || d.Block != "decryption secrets block" || d.Offset != 8+8+18 || d.Frames != [2]int{13, 13} {
		t.Fatalf("%#v", d)
	}
	// The frames after it are numbered as before.
	b = bytes.Clone(a)
	b[bs[2].start+len(expDSB("CLIENT_RANDOM 00 11"))+28+20]++
	d = expMustDiff(t, a, b)
	if d.Frame != 1 || d.Offset != 20 {
		t.Fatalf("%#v", d)
	}
}

func TestDiffReceived(t *testing.T) {
	r := func(sb ...SockBytes) *Result { return &Result{Received: sb} }
	for _, tc := range []struct {
		a, b *Result
		want string
	}{
		{r(SockBytes{"p", "conn", 3}), r(SockBytes{"p", "conn", 3}), ""},
		{nil, r(), ""},
		{r(SockBytes{"p", "conn", 3}), r(SockBytes{"p", "conn", 2}), "p's conn received 3 bytes in run 1, 2 in run 2"},
		{r(SockBytes{"p", "conn", 3}), nil, "only run 1's p's conn received data (3 bytes)"},
		{r(), r(SockBytes{"p", "conn", 3}), "only run 2's p's conn received data (3 bytes)"},
		{r(SockBytes{"p", "conn", 3}), r(SockBytes{"q", "conn", 3}), "received data: socket 1 is p's conn in run 1, q's conn in run 2"},
	} {
		if got := diffReceived(tc.a, tc.b); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	e := &DiffError{File: "f.yaml", Offset: -1, Detail: "p's conn received 3 bytes in run 1, 2 in run 2"}
	if want := "f.yaml: the two runs differ: p's conn received 3 bytes in run 1, 2 in run 2"; e.Error() != want {
		t.Errorf("got %s", e)
	}
}

func TestDiffBlockAtMalformed(t *testing.T) {
	// Walking never panics, whatever the bytes; the fuzz-like sweep cuts
	// and corrupts the goldens at every offset of their first blocks.
	for _, name := range []string{"tcp.pcap", "tcp-lossy.pcapng"} {
		g := expGolden(t, name)
		for n := 0; n < 300 && n < len(g); n++ {
			cut := g[:n]
			diffBlockAt(cut, n/2)
			diffCountFrames(cut)
			bad := bytes.Clone(g)
			bad[n] ^= 0xff
			if d := diffCaptures(g, bad); d == nil || d.FileOffset != int64(n) {
				t.Fatalf("%s, byte %d changed: %#v", name, n, d)
			}
			if d := diffCaptures(cut, g); d == nil || d.FileOffset != int64(n) {
				t.Fatalf("%s cut at %d: %#v", name, n, d)
			}
		}
	}
}

func FuzzDiffCaptures(f *testing.F) {
	for _, name := range []string{"tcp.pcap", "tcp-lossy.pcapng"} {
		g, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(g, 100, byte(1))
		f.Add(g[:200], 30, byte(0x80))
	}
	f.Fuzz(func(t *testing.T, a []byte, at int, x byte) {
		if d := diffCaptures(a, bytes.Clone(a)); d != nil {
			t.Fatalf("same bytes differ: %v", d)
		}
		if len(a) == 0 || x == 0 {
			return
		}
		at = int(uint(at) % uint(len(a)))
		b := bytes.Clone(a)
		b[at] ^= x
		d := diffCaptures(a, b)
		if d == nil || d.FileOffset != int64(at) {
			t.Fatalf("byte %d changed: %#v", at, d)
		}
		_ = d.Error()
	})
}
