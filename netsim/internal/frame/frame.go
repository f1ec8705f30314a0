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
	"runtime"
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/buffer"
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
	// payload, when payloadAt is above 0, holds B[payloadAt:] a second
	// time: the views of the sending stack's own buffers, which the frame
	// shares with it (read-only, each chunk counted by gVisor). A receiving
	// port hands its stack a clone of them rather than a copy of those
	// bytes (see SetPayload).
	payload   buffer.Buffer
	payloadAt int
	refs      atomic.Int32
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

// poolBytes bounds the memory each class's pool keeps (buffers and frames),
// counted from the frames put in it since the last collection: 4 MiB keeps
// every frame of a bulk transfer recycled (a 3 MiB window in flight at MTU
// 1500 or 65535), while the frames of a burst beyond it (10,000 connections
// each sending a segment at once: 16 MB of MTU-1500 frames) become garbage
// instead of staying in the pool, and so in the live heap, for two more
// collections (sync.Pool keeps an item across one).
const poolBytes = 4 << 20

// frameBytes is about what a Frame costs besides its buffer.
const frameBytes = 96

// pooled counts, per class, the frames put in its pool and not taken out
// since the last collection (an estimate: a collection moves the pool's
// items aside, still to be taken, then drops them at the next; resetting
// the count at each collection bounds what a pool keeps to twice
// poolBytes).
var pooled [len(classes)]atomic.Int64

// maxPooled is how many frames each class's pool may hold.
var maxPooled = func() (m [len(classes)]int64) {
	for i, c := range classes {
		m[i] = poolBytes / int64(c+frameBytes)
	}
	return m
}()

// afterGC resets the pooled counts after each collection, from a
// finalizer that arms itself again. (It holds a pointer: the runtime runs
// no finalizer for an object of size zero, nor reliably for one small
// enough to share a tiny block.)
type afterGC struct{ _ *byte }

func init() { armAfterGC() }

// resets counts the resets of the pooled counts (for tests).
var resets atomic.Int64

func armAfterGC() {
	runtime.SetFinalizer(new(afterGC), func(*afterGC) {
		for i := range pooled {
			pooled[i].Store(0)
		}
		resets.Add(1)
		armAfterGC()
	})
}

// New returns a frame of n bytes (their content is not cleared) holding
// one reference, its buffer taken from a pool when n fits one.
func New(n int) *Frame {
	for i, c := range classes {
		if n <= c {
			f, _ := pools[i].Get().(*Frame)
			if f == nil {
				f = &Frame{B: make([]byte, c), class: int8(i)}
			} else if pooled[i].Add(-1) < 0 {
				pooled[i].Store(0)
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

// SetPayload gives f the gVisor views whose bytes are f.B[at:] (the
// frame's payload as its sending stack holds it), taking over the caller's
// reference to them: a receiving port may then hand a clone of them to its
// stack instead of copying f.B[at:] (gVisor's own pipe link shares a sent
// packet's chunks with the receiver the same way). The views must hold
// exactly those bytes, and no one may change them while f lives: the
// bytes a stack has sent are never written again. Only the frame's
// creator calls it, before anyone else holds the frame. An at outside
// 1..len(f.B)-1 or a size that does not match leaves f as it was and
// releases b.
func (f *Frame) SetPayload(at int, b buffer.Buffer) {
	if at <= 0 || at >= len(f.B) || int(b.Size()) != len(f.B)-at || f.payloadAt > 0 {
		b.Release()
		return
	}
	f.payload, f.payloadAt = b, at
}

// Payload returns where f's shared payload starts in f.B and a clone of
// its views, which the caller owns (and must release or hand on); ok is
// false for a frame without one.
func (f *Frame) Payload() (at int, b buffer.Buffer, ok bool) {
	if f.payloadAt == 0 {
		return 0, buffer.Buffer{}, false
	}
	return f.payloadAt, f.payload.Clone(), true
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
	if f.payloadAt > 0 {
		f.payload.Release()
		f.payload, f.payloadAt = buffer.Buffer{}, 0
	}
	if f.class < 0 {
		return
	}
	if pooled[f.class].Add(1) > maxPooled[f.class] {
		pooled[f.class].Add(-1) // the pool has its fill: f becomes garbage
		return
	}
	f.B = f.B[:cap(f.B)]
	pools[f.class].Put(f)
}
