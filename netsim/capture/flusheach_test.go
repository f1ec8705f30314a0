package capture

import (
	"bytes"
	"testing"
	"time"

	"netsim.dev/netsim/pcapread"
)

// TestFlushEach: with Options.FlushEach, the bytes written so far are a
// valid capture after every frame, in both formats, with no Flush; the
// same frames as with a Flush at the end.
func TestFlushEach(t *testing.T) {
	for _, f := range []Format{PCAP, PCAPNG} {
		t.Run(f.String(), func(t *testing.T) {
			var eager, lazy bytes.Buffer
			we, err := New(&eager, Options{Format: f, FlushEach: true})
			if err != nil {
				t.Fatal(err)
			}
			wl, err := New(&lazy, Options{Format: f})
			if err != nil {
				t.Fatal(err)
			}
			he, _ := we.AddInterface("lan", "")
			hl, _ := wl.AddInterface("lan", "")
			ts := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range 5 {
				frame := bytes.Repeat([]byte{byte(i)}, 60+i)
				if err := we.WriteFrame(he, ts, frame, "a note"); err != nil {
					t.Fatal(err)
				}
				if err := wl.WriteFrame(hl, ts, frame, "a note"); err != nil {
					t.Fatal(err)
				}
				r, err := pcapread.NewReader(bytes.NewReader(eager.Bytes()))
				if err != nil {
					t.Fatalf("after frame %d: %v", i+1, err)
				}
				frames, err := pcapread.ReadAll(r)
				if err != nil || len(frames) != i+1 {
					t.Fatalf("after frame %d: %d frames, %v", i+1, len(frames), err)
				}
			}
			if err := wl.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := we.Flush(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(eager.Bytes(), lazy.Bytes()) {
				t.Errorf("FlushEach wrote %d bytes, a Flush at the end %d: the files differ", eager.Len(), lazy.Len())
			}
		})
	}
}
