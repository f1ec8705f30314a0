package dissect

import (
	"testing"

	"netsim.dev/netsim/pcapread"
)

// speedFrames returns the frames of testdata/speed/realworld.pcapng.
func speedFrames(b *testing.B) []pcapread.Frame {
	frames, err := pcapread.ReadFile("testdata/speed/realworld.pcapng")
	if err != nil {
		b.Fatal(err)
	}
	return frames
}

// benchLoop runs fn on every frame of the real-world capture, over and over
// through one Dissector (as netsim read does on a capture that repeats
// it); one op is one frame.
func benchLoop(b *testing.B, fn func(p *Packet)) {
	frames := speedFrames(b)
	d := New()
	d.SetMACNames(fixtureNames(b), true)
	var p Packet
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := &frames[i%len(frames)]
		n++
		f.Number = n
		d.Dissect(f, &p)
		fn(&p)
	}
}

// BenchmarkRealWorldDissect measures decoding alone.
func BenchmarkRealWorldDissect(b *testing.B) {
	benchLoop(b, func(*Packet) {})
}

// BenchmarkRealWorldSummary measures decoding and the summary line as
// Summary builds it.
func BenchmarkRealWorldSummary(b *testing.B) {
	benchLoop(b, func(p *Packet) { _ = Summary(p) })
}

// BenchmarkRealWorldAppendSummary measures decoding and the summary line
// as netsim read writes it: appended to a reused buffer.
func BenchmarkRealWorldAppendSummary(b *testing.B) {
	buf := make([]byte, 0, 4096)
	benchLoop(b, func(p *Packet) { buf = AppendSummary(buf[:0], p) })
}

// BenchmarkRealWorldTree measures decoding and the -V tree as netsim read
// writes it: appended to a reused buffer.
func BenchmarkRealWorldTree(b *testing.B) {
	buf := make([]byte, 0, 64<<10)
	benchLoop(b, func(p *Packet) { buf = AppendTree(buf[:0], p) })
}
