package frame

import (
	"runtime"
	"runtime/debug"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
)

// TestPool: a released frame's buffer is reused, with its length set anew;
// a frame is only returned once its last reference is given back.
func TestPool(t *testing.T) {
	f := New(100)
	if len(f.B) != 100 || cap(f.B) != classes[0] {
		t.Fatalf("New(100): len %d cap %d", len(f.B), cap(f.B))
	}
	f.Ref()
	f.Release()
	if f.refs.Load() != 1 {
		t.Fatalf("after Ref and Release: %d references", f.refs.Load())
	}
	f.Release()
	if f.refs.Load() != 0 || len(f.B) != cap(f.B) {
		t.Fatalf("released: %d references, len %d", f.refs.Load(), len(f.B))
	}
	big := New(65535 + 14)
	if cap(big.B) != classes[len(classes)-1] {
		t.Errorf("a frame of 65549 bytes: cap %d", cap(big.B))
	}
	big.Release()
	if huge := New(classes[len(classes)-1] + 1); huge.class != -1 {
		t.Errorf("a frame larger than every class is pooled (class %d)", huge.class)
	}
}

// TestPoolBounded: a burst of frames larger than a class's bound leaves
// the pool at most its bound (the rest become garbage), and the count
// follows the frames taken out again.
func TestPoolBounded(t *testing.T) {
	const class = 2 // MTU 1500
	// A collection starts the count afresh: its finalizer resets it.
	for i := 0; pooled[class].Load() != 0; i++ {
		if i == 1000 {
			t.Fatalf("the pooled count is not reset by collections: %d", pooled[class].Load())
		}
		runtime.GC()
		runtime.Gosched()
	}
	// No collection from here on (a finalizer still pending from an earlier
	// one may reset the count mid-burst: then only the bound is checked).
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before := resets.Load()
	burst := make([]*Frame, maxPooled[class]+500)
	for i := range burst {
		burst[i] = New(1500)
	}
	for _, f := range burst {
		f.Release()
	}
	if n := pooled[class].Load(); n > maxPooled[class] || n != maxPooled[class] && resets.Load() == before {
		t.Errorf("after releasing %d frames: %d pooled, want the bound %d", len(burst), n, maxPooled[class])
	}
	if got := maxPooled[class] * int64(classes[class]+frameBytes); got > poolBytes {
		t.Errorf("the bound keeps %d bytes, more than %d", got, poolBytes)
	}
	for range 10 {
		New(1500)
	}
	if n := pooled[class].Load(); n > maxPooled[class]-10 && resets.Load() == before {
		t.Errorf("after taking 10 frames: %d counted as pooled, want at most %d", n, maxPooled[class]-10)
	}
}

// TestHeapAndClone: a heap frame is never pooled, nor its clones; a pooled
// frame's clone is pooled and holds the same bytes.
func TestHeapAndClone(t *testing.T) {
	h := Heap([]byte{1, 2, 3})
	c := h.Clone()
	if c.class != -1 || string(c.B) != string(h.B) || &c.B[0] == &h.B[0] {
		t.Errorf("clone of a heap frame: class %d, %v", c.class, c.B)
	}
	h.Release()
	if string(h.B) != "\x01\x02\x03" {
		t.Errorf("a released heap frame changed: %v", h.B)
	}
	p := New(3)
	copy(p.B, "abc")
	q := p.Clone()
	if q.class != p.class || string(q.B) != "abc" {
		t.Errorf("clone of a pooled frame: class %d, %q", q.class, q.B)
	}
	p.Release()
	q.Release()
}

// TestOverRelease: giving back more references than were taken is a bug
// that panics rather than letting two holders share a recycled buffer.
func TestOverRelease(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	f := New(10)
	f.Release()
	f.refs.Store(0)
	f.Release()
}

// BenchmarkNewRelease is one frame's life at MTU 65535: taken, released.
func BenchmarkNewRelease(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		New(65549).Release()
	}
}

// TestSetPayload: a frame takes views that hold exactly its bytes from
// at on, and gives a clone of them to each caller of Payload; views of
// another size, or an at outside the frame, are refused (and released).
func TestSetPayload(t *testing.T) {
	f := New(100)
	defer f.Release()
	for i := range f.B {
		f.B[i] = byte(i)
	}
	f.SetPayload(40, buffer.MakeWithData(f.B[41:]))
	f.SetPayload(0, buffer.MakeWithData(f.B))
	f.SetPayload(100, buffer.Buffer{})
	if _, _, ok := f.Payload(); ok {
		t.Fatal("a payload of the wrong size, or at the wrong place, was taken")
	}
	f.SetPayload(40, buffer.MakeWithData(f.B[40:]))
	for range 2 {
		at, b, ok := f.Payload()
		if !ok || at != 40 || string(b.Flatten()) != string(f.B[40:]) {
			t.Fatalf("Payload() = %d, %d bytes, %v; want 40, the frame's last 60 bytes", at, b.Size(), ok)
		}
		b.Release()
	}
	if g := f.Clone(); g.payloadAt != 0 {
		t.Error("a clone shares the payload")
	} else {
		g.Release()
	}
}
