package netsim_test

import (
	"errors"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// errDiskFull is what failingWriter returns once its room is used up.
var errDiskFull = errors.New("no space left on device (test)")

// failingWriter takes room bytes, then fails every write, as a full disk
// or a pipe whose reader left does.
type failingWriter struct{ room int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.room {
		n := w.room
		w.room = 0
		return n, errDiskFull
	}
	w.room -= len(p)
	return len(p), nil
}

// A capture write that fails stops the run at once: Run returns the
// capture's error instead of simulating the rest (an endless transfer here)
// for nothing, in both formats and with explanations on.
func TestRunStopsWhenTheCaptureFails(t *testing.T) {
	for _, tc := range []struct {
		name    string
		format  capture.Format
		explain bool
	}{
		{"pcap", capture.PCAP, false},
		{"pcapng", capture.PCAPNG, false},
		{"pcapng-explain", capture.PCAPNG, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := netsim.New(netsim.Options{Capture: &failingWriter{room: 1 << 20}, CaptureFormat: tc.format, Explain: tc.explain})
			if err != nil {
				t.Fatal(err)
			}
			h, err := n.AddHost("h")
			if err != nil {
				t.Fatal(err)
			}
			bulk(t, n, h) // never ends by itself
			done := make(chan error, 1)
			go func() { done <- n.Run() }()
			select {
			case err = <-done:
			case <-time.After(2 * time.Minute):
				t.Fatalf("Run still going 2 minutes after its capture failed (%d frames)", n.Stats().Frames)
			}
			if !errors.Is(err, errDiskFull) {
				t.Fatalf("Run = %v, want the capture's error", err)
			}
			// The writer buffers up to 256 KiB: the run stops within a
			// buffer or two of the failure, not megabytes later.
			if st := n.Stats(); st.Frames > 200 {
				t.Errorf("%d frames simulated after a 1 MiB capture failed, want the run stopped at once", st.Frames)
			}
			t.Logf("Run = %v after %d frames", err, n.Stats().Frames)
			if err := n.Close(); err != nil {
				t.Errorf("Close after the reported failure = %v, want nil (reported once)", err)
			}
		})
	}
}
