package pcapread_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"slices"
	"testing"
	"time"

	"netsim.dev/netsim/capture"
	"netsim.dev/netsim/pcapread"
)

// TestTakeSecrets: each Decryption Secrets Block is returned by the
// TakeSecrets after the Next that reads the first frame following it,
// once, with its type and data; a block too short or whose length
// exceeds it is skipped without ending the file.
func TestTakeSecrets(t *testing.T) {
	var buf bytes.Buffer
	w, err := capture.New(&buf, capture.Options{Format: capture.PCAPNG})
	if err != nil {
		t.Fatal(err)
	}
	h, err := w.AddInterface("lan", "")
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 60)
	at := time.Unix(946684800, 0)
	write := func() {
		if err := w.WriteFrame(h, at, frame, ""); err != nil {
			t.Fatal(err)
		}
	}
	write()
	w.WriteKeyLog([]byte("CLIENT_RANDOM a b\n"))
	w.WriteKeyLog([]byte("SERVER_TRAFFIC_SECRET_0 c d\n"))
	write()
	write()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	// A bad block (its secrets length larger than the block) before a
	// fourth frame: skipped.
	bad := make([]byte, 20)
	binary.LittleEndian.PutUint32(bad, 10)
	binary.LittleEndian.PutUint32(bad[4:], 20)
	binary.LittleEndian.PutUint32(bad[8:], pcapread.SecretsTLSKeyLog)
	binary.LittleEndian.PutUint32(bad[12:], 100)
	binary.LittleEndian.PutUint32(bad[16:], 20)
	b := append(buf.Bytes(), bad...)
	b = append(b, buf.Bytes()[len(buf.Bytes())-92:]...) // the last frame's block again

	r, err := pcapread.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		s := r.TakeSecrets()
		got = append(got, len(s))
		if f.Number == 2 {
			if len(s) != 2 || s[0].Type != pcapread.SecretsTLSKeyLog || string(s[0].Data) != "CLIENT_RANDOM a b\n" || string(s[1].Data) != "SERVER_TRAFFIC_SECRET_0 c d\n" {
				t.Errorf("frame 2: secrets %+v", s)
			}
		}
	}
	if want := []int{0, 2, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("secrets blocks per frame %v, want %v", got, want)
	}
}
