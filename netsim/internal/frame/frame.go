// Package frame holds the bytes of the frames netsim's links carry, with a
// reference count, so that a frame's buffer goes back to a pool once the
// last holder is done with it instead of becoming garbage: a bulk transfer
// then allocates no buffer per frame in steady state.
//
// The rule for holders: whoever is given a frame in a call may read it for
// the duration of the call (it is borrowed); a holder that keeps it beyond
// the call (a frame in flight on a wire, waiting in a host's inbox) takes a
// reference of its own with [Frame.Ref] and gives it back with
// [Frame.Release]. The creator holds the first reference. A frame must not
// be modified once it has been given to anyone else.
package frame

import (
	"sync"
	"sync/atomic"
)

// Frame is an Ethernet frame's bytes with a reference count.
type Frame struct {
	// B is the frame, Ethernet header included.
	B []byte
	// ChecksumsOK says that the frame's IP header and TCP or UDP checksums
	// are known to be right: the port that made it computed them over
	// these bytes. A port that receives such a frame tells its stack not
	// to check them again, as a NIC that offloads receive checksums does.
	// Only the frame's creator sets it, before anyone else holds the
	// frame; a copy made to be changed ([Frame.Clone]) starts without it.
	ChecksumsOK bool
	refs        atomic.Int32
	// class is the index of the pool B came from, or -1 for a frame that
	// is not pooled (Heap): its Release only counts.
	class int8
}

// classes are the capacities of the pooled buffers: a small frame (ARP, a
// SYN, a bare ACK), a frame of a few hundred bytes, an Ethernet frame of
// MTU 1500, a jumbo frame, and a frame of the largest IP packet (65,535
// bytes, or a loopback's 65,536) with its Ethernet header. 10,000
// connections may each have a frame in flight at once: a class close
// above the common sizes keeps that memory small.
var classes = [...]int{128, 512, 1536, 9216 + 64, 65536 + 256}

var pools [len(classes)]sync.Pool

// New returns a frame of n bytes (their content is not cleared) holding
// one reference, its buffer taken from a pool when n fits one.
func New(n int) *Frame {
	for i, c := range classes {
		if n <= c {
			f, _ := pools[i].Get().(*Frame)
			if f == nil {
				f = &Frame{B: make([]byte, c), class: int8(i)}
			}
			f.B = f.B[:n]
			f.ChecksumsOK = false
			f.refs.Store(1)
			return f
		}
	}
	f := Heap(make([]byte, n))
	return f
}

// Heap returns a frame made of b, holding one reference, that never goes
// back to a pool: for frames whose bytes come from elsewhere, and for
// runs that keep frames beyond their delivery (lesson mode).
func Heap(b []byte) *Frame {
	f := &Frame{B: b, class: -1}
	f.refs.Store(1)
	return f
}

// Clone returns a copy of f holding one reference: pooled if f is, from
// the heap if it is not (its holders may keep it as they keep f); without
// ChecksumsOK, since a copy is made to be changed.
func (f *Frame) Clone() *Frame {
	if f.class < 0 {
		return Heap(append([]byte(nil), f.B...))
	}
	g := New(len(f.B))
	copy(g.B, f.B)
	return g
}

// Refs returns the number of references f holds (for tests).
func (f *Frame) Refs() int { return int(f.refs.Load()) }

// Ref takes a reference to f and returns f.
func (f *Frame) Ref() *Frame {
	f.refs.Add(1)
	return f
}

// Release gives a reference back: the last one returns a pooled frame's
// buffer to its pool, after which f must not be used. Releasing more
// references than were taken panics (a bug in netsim).
func (f *Frame) Release() {
	switch n := f.refs.Add(-1); {
	case n > 0:
		return
	case n < 0:
		panic("frame: released more often than referenced")
	}
	if f.class >= 0 {
		f.B = f.B[:cap(f.B)]
		pools[f.class].Put(f)
	}
}
