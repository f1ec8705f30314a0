package netsim

import (
	"testing"
	"time"
)

func TestOptionsDefaults(t *testing.T) {
	d := Options{}.withDefaults()
	if !d.Start.Equal(DefaultStart) || d.LoopbackDelay != DefaultLoopbackDelay || d.CallTime != DefaultCallTime || d.Linger != DefaultLinger {
		t.Errorf("zero Options → %+v", d)
	}
	// Negative CallTime and Linger mean none; explicit values are kept.
	o := Options{CallTime: -1, Linger: -1, LoopbackDelay: time.Millisecond, Start: time.Unix(5, 0)}.withDefaults()
	if o.CallTime != 0 || o.Linger != 0 || o.LoopbackDelay != time.Millisecond || !o.Start.Equal(time.Unix(5, 0)) {
		t.Errorf("explicit Options → %+v", o)
	}
	// The default call time is longer than the loopback delay, so that a
	// segment is acknowledged before the sender's next call (the book's
	// frame order depends on it).
	if DefaultCallTime <= DefaultLoopbackDelay {
		t.Errorf("DefaultCallTime %v <= DefaultLoopbackDelay %v", DefaultCallTime, DefaultLoopbackDelay)
	}
}

func TestDeriveSeed(t *testing.T) {
	a := deriveSeed(1, "host", "h1")
	if a != deriveSeed(1, "host", "h1") {
		t.Fatal("deriveSeed is not a function of its inputs")
	}
	for _, other := range [][32]byte{
		deriveSeed(2, "host", "h1"),
		deriveSeed(1, "host", "h2"),
		deriveSeed(1, "host-secure", "h1"),
		deriveSeed(1, "hos", "th1"), // labels are length-prefixed, not concatenated
		deriveSeed(1, "host", "h1", ""),
	} {
		if other == a {
			t.Errorf("two different inputs give the seed %x", a[:8])
		}
	}
}
