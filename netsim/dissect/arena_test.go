package dissect

import (
	"runtime"
	"strings"
	"testing"

	"netsim.dev/netsim/pcapread"
)

// TestArenaKeepsMessages checks that the DNS and HTTP messages of packets a
// caller keeps stay as they were decoded while the Dissector decodes more
// frames (the arena never hands out its memory twice): every frame of the
// real-world capture, three times over, kept, then compared with copies of
// their Info text and names taken when each was decoded.
func TestArenaKeepsMessages(t *testing.T) {
	frames, err := pcapread.ReadFile("testdata/speed/realworld.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	type kept struct {
		p     *Packet
		info  string
		names []string
	}
	var all []kept
	messages := 0
	for round := range 3 {
		for i := range frames {
			f := frames[i]
			f.Number = round*len(frames) + i + 1
			p := new(Packet)
			d.Dissect(&f, p)
			k := kept{p: p, info: strings.Clone(p.Info())}
			if m := p.DNS; m != nil {
				messages++
				for _, q := range m.Queries {
					k.names = append(k.names, strings.Clone(q.Name))
				}
				for _, r := range m.Records {
					k.names = append(k.names, strings.Clone(r.Name), strings.Clone(r.Target))
				}
			}
			for _, h := range p.HTTP {
				messages++
				k.names = append(k.names, strings.Clone(h.FirstLine))
				for _, x := range h.Headers {
					k.names = append(k.names, strings.Clone(x.Name), strings.Clone(x.Value))
				}
			}
			all = append(all, k)
		}
	}
	if messages < 100 {
		t.Fatalf("only %d DNS and HTTP messages decoded", messages)
	}
	for _, k := range all {
		p := k.p
		if got := p.Info(); got != k.info {
			t.Errorf("frame %d: Info now %q, was %q", p.Number, got, k.info)
		}
		var names []string
		if m := p.DNS; m != nil {
			for _, q := range m.Queries {
				names = append(names, q.Name)
			}
			for _, r := range m.Records {
				names = append(names, r.Name, r.Target)
			}
		}
		for _, h := range p.HTTP {
			names = append(names, h.FirstLine)
			for _, x := range h.Headers {
				names = append(names, x.Name, x.Value)
			}
		}
		if strings.Join(names, "|") != strings.Join(k.names, "|") {
			t.Errorf("frame %d: names now %q, were %q", p.Number, names, k.names)
		}
	}
}

// TestDissectAllocsDNS checks that decoding a DNS frame and writing its
// summary line allocates nothing but, now and then, a new arena chunk:
// less than 0.1 allocations a frame on average over the capture's DNS
// frames, decoded one after the other as netsim read decodes them.
func TestDissectAllocsDNS(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's allocations would count")
	}
	all, err := pcapread.ReadFile("testdata/speed/realworld.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	// The DNS frames, found by a first pass.
	d := New()
	var p Packet
	var frames []pcapread.Frame
	for i := range all {
		d.Dissect(&all[i], &p)
		if p.DNS != nil && p.fastSummary() {
			frames = append(frames, all[i])
		}
	}
	if len(frames) < 40 {
		t.Fatalf("%d DNS frames on the fast path; want the capture's 44", len(frames))
	}
	d = New()
	buf := make([]byte, 0, 1024)
	n := 0
	run := func() {
		f := frames[n%len(frames)]
		n++
		f.Number = n
		d.Dissect(&f, &p)
		buf = AppendSummary(buf[:0], &p)
	}
	for range len(frames) {
		run() // the conversation tables' first entries
	}
	// Counted with ReadMemStats: AllocsPerRun rounds down to whole
	// allocations a run.
	const runs = 2000
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		run()
	}
	runtime.ReadMemStats(&after)
	if perFrame := float64(after.Mallocs-before.Mallocs) / runs; perFrame >= 0.1 {
		t.Errorf("decoding a DNS frame and its line: %.3f allocations a frame; want < 0.1", perFrame)
	}
}

// TestDissectAllocsHTTP checks the same for HTTP: the real-world
// capture's HTTP conversation over loopback (a request, a response and the
// segments around them, 10 frames), replayed with a new client port each
// time so that each replay is a new connection whose messages are
// decoded, allocates less than once a frame. What remains is the new
// connection's own state (its flows' segment lists, its request queue:
// about 7 a connection); the messages allocated 17 times each before the
// arena (4.1 a frame).
func TestDissectAllocsHTTP(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's allocations would count")
	}
	all, err := pcapread.ReadFile("testdata/speed/realworld.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	var p Packet
	var frames []pcapread.Frame
	var portAt []int // offset of the client port in each frame
	msgs := 0
	for i := range all {
		d.Dissect(&all[i], &p)
		if !p.Has(ProtoTCP) || !p.Has(ProtoIP) || p.Has(ProtoVLAN) || (p.TCP.SrcPort != 80 && p.TCP.DstPort != 80) {
			continue
		}
		off := 14 + int(p.IP.HdrLen)
		if p.TCP.SrcPort == 80 {
			off += 2
		}
		if len(p.HTTP) != 0 {
			msgs++
		}
		frames = append(frames, all[i].Clone())
		portAt = append(portAt, off)
	}
	if msgs < 2 {
		t.Fatalf("%d HTTP messages in the capture's port 80 frames; want its request and response", msgs)
	}
	d = New()
	buf := make([]byte, 0, 1024)
	n, round, decoded := 0, 0, 0
	replay := func() {
		round++
		for i := range frames {
			f := frames[i]
			f.Data[portAt[i]], f.Data[portAt[i]+1] = byte(40000+round>>8), byte(40000+round)
			n++
			f.Number = n
			d.Dissect(&f, &p)
			if len(p.HTTP) != 0 && p.fastSummary() {
				decoded++
			}
			buf = AppendSummary(buf[:0], &p)
		}
	}
	for range 20 {
		replay() // the tables' first growth
	}
	const rounds = 200
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range rounds {
		replay()
	}
	runtime.ReadMemStats(&after)
	if decoded < 2*220 {
		t.Fatalf("%d HTTP lines on the fast path in 220 replays; want 2 a replay", decoded)
	}
	perFrame := float64(after.Mallocs-before.Mallocs) / float64(rounds*len(frames))
	t.Logf("%d frames a replay: %.3f allocations a frame", len(frames), perFrame)
	if perFrame >= 1 {
		t.Errorf("decoding the HTTP conversation's frames and their lines: %.3f allocations a frame; want < 1", perFrame)
	}
}
