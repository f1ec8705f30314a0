package netsim_test

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"netsim.dev/netsim"
	"netsim.dev/netsim/capture"
)

// TestOptionsValidated: New rejects every Options value out of range with
// one *ConfigError naming the field, and accepts the edges of each range.
func TestOptionsValidated(t *testing.T) {
	bad := []struct {
		opts  netsim.Options
		field string
		value any
		msg   string // the whole message
	}{
		{netsim.Options{SnapLen: -1}, "Options.SnapLen", -1, "netsim: Options.SnapLen: -1 is negative"},
		{netsim.Options{SnapLen: 262145}, "Options.SnapLen", 262145, "netsim: Options.SnapLen: 262145 is more than 262144, the most tcpdump and Wireshark take"},
		{netsim.Options{CaptureFormat: 7}, "Options.CaptureFormat", capture.Format(7), "netsim: Options.CaptureFormat: Format(7) is neither capture.PCAP nor capture.PCAPNG"},
		{netsim.Options{CaptureFormat: -1, Capture: io.Discard}, "Options.CaptureFormat", capture.Format(-1), ""},
		{netsim.Options{CaptureInterfaces: []string{"a", ""}}, "Options.CaptureInterfaces[1]", "", `netsim: Options.CaptureInterfaces[1]: "" is empty`},
		{netsim.Options{CaptureInterfaces: []string{"a", "b", "a"}}, "Options.CaptureInterfaces[2]", "a", `netsim: Options.CaptureInterfaces[2]: "a" is named twice`},
		{netsim.Options{Start: time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC)}, "Options.Start", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), "netsim: Options.Start: 1969-12-31 23:59:59 +0000 UTC is outside what a capture can stamp (1970-01-01 to 2100-01-01)"},
		{netsim.Options{Start: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)}, "Options.Start", time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{netsim.Options{LoopbackDelay: -time.Microsecond}, "Options.LoopbackDelay", -time.Microsecond, "netsim: Options.LoopbackDelay: -1µs is negative"},
		{netsim.Options{LoopbackDelay: netsim.MaxDuration + 1}, "Options.LoopbackDelay", netsim.MaxDuration + 1, "netsim: Options.LoopbackDelay: 24h0m0.000000001s is more than 24h0m0s"},
		{netsim.Options{CallTime: math.MaxInt64}, "Options.CallTime", time.Duration(math.MaxInt64), ""},
		{netsim.Options{Linger: 1000 * time.Hour}, "Options.Linger", 1000 * time.Hour, "netsim: Options.Linger: 1000h0m0s is more than 24h0m0s"},
		{netsim.Options{ListenBacklog: -5}, "Options.ListenBacklog", -5, "netsim: Options.ListenBacklog: -5 is negative"},
		// The first field out of range, in the order Options declares them.
		{netsim.Options{SnapLen: -1, ListenBacklog: -1, CaptureFormat: 9}, "Options.CaptureFormat", capture.Format(9), ""},
	}
	for _, c := range bad {
		n, err := netsim.New(c.opts)
		if err == nil {
			n.Close()
			t.Errorf("New(%+v): no error, want one about %s", c.opts, c.field)
			continue
		}
		if n != nil {
			t.Errorf("New(%+v): a network with the error", c.opts)
		}
		var ce *netsim.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("New(%+v): %v (%T), not a *ConfigError", c.opts, err, err)
			continue
		}
		if ce.Field != c.field || ce.Value != c.value {
			t.Errorf("New(%+v): Field %q Value %#v, want %q %#v", c.opts, ce.Field, ce.Value, c.field, c.value)
		}
		if c.msg != "" && err.Error() != c.msg {
			t.Errorf("New(%+v):\n got %q\nwant %q", c.opts, err, c.msg)
		}
		if !strings.HasPrefix(err.Error(), "netsim: "+c.field+": ") {
			t.Errorf("New(%+v): %q does not start with the field", c.opts, err)
		}
	}
	good := []netsim.Options{
		{},
		{SnapLen: 1, CaptureFormat: capture.PCAPNG, CaptureInterfaces: []string{"a:lo", "b:lo"}},
		{SnapLen: 262144, Capture: io.Discard},
		{CallTime: -1, Linger: -time.Hour},
		{CallTime: netsim.MaxDuration, Linger: netsim.MaxDuration, LoopbackDelay: netsim.MaxDuration},
		{Start: time.Unix(0, 0)},
		{Start: netsim.MaxStart},
		{ListenBacklog: 1},
	}
	for _, o := range good {
		n, err := netsim.New(o)
		if err != nil {
			t.Errorf("New(%+v): %v", o, err)
			continue
		}
		n.Close()
	}
}

// TestOptionsEdgesRun: a run at the latest Start, with a 1-byte SnapLen,
// completes.
func TestOptionsEdgesRun(t *testing.T) {
	n, err := netsim.New(netsim.Options{Capture: io.Discard, SnapLen: 1, Start: netsim.MaxStart})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	h, err := n.AddHost("h")
	if err != nil {
		t.Fatal(err)
	}
	n.Go(func() {
		ln, err := h.Listen("tcp", "127.0.0.1:80")
		if err != nil {
			t.Error(err)
			return
		}
		n.Go(func() {
			c, err := ln.Accept()
			if err == nil {
				c.Close()
			}
			ln.Close()
		})
		c, err := h.Dial("tcp", "127.0.0.1:80")
		if err != nil {
			t.Error(err)
			return
		}
		c.Close()
	})
	if err := n.Run(); err != nil {
		t.Fatal(err)
	}
	if st := n.Stats(); st.Frames == 0 {
		t.Error("no frames")
	}
}
